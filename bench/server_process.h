// Benchmark support: a real `pop server` process on loopback with a data directory of its
// own, started with the arguments a benchmark gives and stopped cleanly, and a client of it.
// Shared by bench_server and bench_events.
#pragma once

#include <csignal>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth/admin_token_file.h"
#include "http_client/client.h"
#include "testing/process_stats.h"
#include "testing/subprocess.h"
#include "util/temp_dir.h"

namespace pop::bench {

namespace fs = std::filesystem;

// Thrown to abandon the run; unwinding kills the server and removes its directory.
struct BenchFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline pop::http_client::Client connect(const std::string& base_url, const std::string& token) {
  pop::http_client::ClientOptions options;
  options.base_url = base_url;
  options.bearer_token = token;
  options.proxy = "";  // loopback: never through a proxy named in the environment
  auto client = pop::http_client::Client::create(options);
  if (!client) throw BenchFailure("client: " + client.error().message);
  return std::move(*client);
}

// One `pop server` with its own data directory under `parent`.
class ServerProcess {
 public:
  ServerProcess(const fs::path& parent, const std::vector<std::string>& arguments)
      : dir_(make_dir(parent)) {
    std::vector<std::string> argv = {POP_BINARY,    "server", "--listen",
                                     "127.0.0.1:0", "--data", data().string()};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    process_.emplace(argv, std::map<std::string, std::string>{}, dir_.path().string());
    const std::regex listening(R"(listening on (http://127\.0\.0\.1:[0-9]+))");
    std::string out;  // outlives `match`, which points into it
    std::smatch match;
    const bool up = pop::testing::eventually([&] {
      out = process_->stdout_so_far();
      return std::regex_search(out, match, listening) || pop::testing::process_gone(pid());
    });
    if (!up || match.empty()) throw BenchFailure("pop server did not start: " + stop_output());
    base_url_ = match[1].str();
    admin_token_ =
        pop::auth::read_admin_token_file(data() / pop::auth::kAdminTokenFileName).value_or("");
  }

  const std::string& base_url() const { return base_url_; }
  // Replicas after the first find no admin token of their own: the database's is the first's.
  void use_token(std::string token) { admin_token_ = std::move(token); }
  pop::http_client::Client client() const { return connect(base_url_, admin_token_); }
  const std::string& token() const { return admin_token_; }
  pid_t pid() const { return process_->pid(); }
  fs::path data() const { return dir_.path() / "data"; }

  // Resident memory in bytes, from /proc/PID/status.
  long rss_bytes() const {
    const std::size_t rss = pop::testing::resident_bytes(pid());
    if (rss == 0) throw BenchFailure("no VmRSS for the server");
    return static_cast<long>(rss);
  }

  // CPU time used so far, user and system, in seconds.
  double cpu_seconds() const { return pop::testing::cpu_seconds(pid()); }

  // Bytes of every file in the data directory (the database, its WAL, work files).
  std::uintmax_t data_bytes() const {
    std::uintmax_t total = 0;
    for (const auto& entry : fs::recursive_directory_iterator(data())) {
      if (entry.is_regular_file()) total += entry.file_size();
    }
    return total;
  }

  // SIGTERM, then waits: a clean stop checkpoints the WAL into the database file.
  void stop() {
    process_->signal(SIGTERM);
    auto result = process_->wait();
    process_.reset();
    if (result.exit_status != 0) {
      throw BenchFailure("pop server exited with " + std::to_string(result.exit_status) + ": " +
                         result.err);
    }
  }

 private:
  static pop::TempDir make_dir(const fs::path& parent) {
    auto dir = pop::TempDir::create("pop-server-bench-", parent);
    if (!dir) throw BenchFailure(dir.error().message);
    return std::move(*dir);
  }

  std::string stop_output() {
    process_->signal(SIGKILL);
    auto result = process_->wait();
    process_.reset();
    return result.out + result.err;
  }

  pop::TempDir dir_;  // first: removed after the process is gone
  std::optional<pop::testing::Subprocess> process_;
  std::string base_url_;
  std::string admin_token_;
};

}  // namespace pop::bench
