// Test support: a private PostgreSQL 15 cluster per test (issue 13's store runs against it),
// and streaming standbys of it.
// initdb in a directory of its own, listening on a Unix socket in that directory only (no
// TCP port to collide with other tests), fsync off, trust authentication; stopped and removed
// when it goes out of scope. PostgreSQL refuses to run as root, so a test running as root
// runs the server as the unprivileged `postgres` user (Debian's postgresql-15 creates it) in
// a directory that user owns; the directory is not under the test's own, which is private to
// root. Throws when the cluster cannot start, so a test that needs it stops at once.
#pragma once

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "testing/subprocess.h"

namespace pop::testing {

class PostgresCluster {
 public:
  static constexpr const char* kBin = "/usr/lib/postgresql/15/bin/";
  static constexpr int kPort = 5432;  // names the socket file; nothing listens on TCP

  // Durability: whether the server syncs its commits. Tests leave it off (a crash of the
  // machine is not what they test, and syncing slows them); benchmarks turn it on.
  enum class Sync { kOff, kOn };

  explicit PostgresCluster(Sync sync = Sync::kOff) : sync_(sync) {
    make_directory();
    auto initialised = run({std::string(kBin) + "initdb", "-D", data().string(), "-U", "postgres",
                            "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"});
    if (initialised.exit_status != 0) {
      remove_directory();
      throw std::runtime_error("initdb failed: " + initialised.err);
    }
    start();
  }

  // A streaming standby of `primary` (running), copied with pg_basebackup, read-only until
  // promote(). Its socket is in a directory of its own.
  struct Standby {};
  PostgresCluster(const PostgresCluster& primary, Standby) : sync_(primary.sync_) {
    make_directory();
    auto copied = run({std::string(kBin) + "pg_basebackup", "-D", data().string(), "-h",
                       primary.directory_.string(), "-p", std::to_string(kPort), "-U", "postgres",
                       "-X", "stream", "-R", "--no-sync"});
    if (copied.exit_status != 0) {
      remove_directory();
      throw std::runtime_error("pg_basebackup failed: " + copied.err);
    }
    start();
  }

  ~PostgresCluster() {
    stop_immediately();
    remove_directory();
  }
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // A libpq URI of one of the cluster's databases as the `postgres` superuser.
  std::string uri(const std::string& database = "postgres") const {
    return "postgresql:///" + database + "?host=" + directory_.string() +
           "&port=" + std::to_string(kPort) + "&user=postgres";
  }
  const std::filesystem::path& socket_directory() const { return directory_; }

  // Starts the server and waits until it accepts connections. Throws on failure.
  void start() {
    auto started =
        run({std::string(kBin) + "pg_ctl", "-D", data().string(), "-l",
             (directory_ / "server.log").string(), "-w", "-t", "60", "-o",
             "-p " + std::to_string(kPort) + " -k " + directory_.string() +
                 " -c listen_addresses=''" + (sync_ == Sync::kOff ? " -c fsync=off" : ""),
             "start"});
    if (started.exit_status != 0)
      throw std::runtime_error("pg_ctl start failed: " + started.out + started.err +
                               read_file(directory_ / "server.log"));
  }

  // As a crash would stop it: no checkpoint, every connection cut. Idempotent.
  void stop_immediately() {
    (void)run(
        {std::string(kBin) + "pg_ctl", "-D", data().string(), "-m", "immediate", "-w", "stop"});
  }

  // A standby ends recovery and accepts writes. Throws when it cannot.
  void promote() {
    auto promoted = run({std::string(kBin) + "pg_ctl", "-D", data().string(), "-w", "promote"});
    if (promoted.exit_status != 0)
      throw std::runtime_error("pg_ctl promote failed: " + promoted.err);
  }

  // Commits wait until a standby has the commit too (synchronous_standby_names = '*').
  void require_synchronous_standby() {
    if (psql("ALTER SYSTEM SET synchronous_standby_names = '*'").exit_status != 0 ||
        psql("SELECT pg_reload_conf()").exit_status != 0)
      throw std::runtime_error("cannot require a synchronous standby");
  }

  // From now on `user` must give its password (SCRAM) to connect; everyone else is still
  // trusted. Throws when the configuration cannot be reloaded.
  void require_password_of(const std::string& user) {
    const std::filesystem::path hba = data() / "pg_hba.conf";
    const std::string rules = read_file(hba);
    {
      std::ofstream rewritten(hba, std::ios::trunc);
      rewritten << "local all " << user << " scram-sha-256\n" << rules;
    }
    if (psql("SELECT pg_reload_conf()").exit_status != 0)
      throw std::runtime_error("cannot reload the configuration");
  }

  // Runs `sql` with psql (stops at the first error): its output, tuples only, unaligned.
  ProcessResult psql(const std::string& sql, const std::string& database = "postgres") const {
    return run({std::string(kBin) + "psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d",
                uri(database), "-c", sql});
  }

 private:
  std::filesystem::path data() const { return directory_ / "data"; }

  ProcessResult run(std::vector<std::string> argv) const {
    argv.insert(argv.begin(), as_postgres_.begin(), as_postgres_.end());
    // The scratch files of Subprocess are named by a count per test process: in a directory
    // shared with other tests' processes they would be each other's.
    return run_process(argv, {{"LC_ALL", "C"}}, directory_.string());
  }

  // A fresh directory for the cluster, owned by `postgres` when running as root.
  void make_directory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pop-pg-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    directory_ = pattern;
    if (::geteuid() == 0) {
      const passwd* user = ::getpwnam("postgres");
      if (user == nullptr) throw std::runtime_error("no postgres user (install postgresql-15)");
      if (::chown(directory_.c_str(), user->pw_uid, user->pw_gid) != 0)
        throw std::runtime_error("cannot chown " + directory_.string());
      as_postgres_ = {"/usr/sbin/runuser", "-u", "postgres", "--"};
    }
  }

  void remove_directory() {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }

  const Sync sync_;
  std::filesystem::path directory_;
  std::vector<std::string> as_postgres_;  // empty when not root
};

}  // namespace pop::testing
