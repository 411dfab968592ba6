// End to end: `pop server` options that cannot work are refused at start, with exit status 2
// and a message that says why, rather than accepted and failing requests later.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "testing/postgres_cluster.h"
#include "testing/subprocess.h"
#include "util/temp_dir.h"

namespace pop::cli {
namespace {

using namespace std::chrono_literals;

// `pop server` with `arguments` on a fresh data directory, stopped once it has either
// exited or listened: its exit status and output.
testing::ProcessResult start_with(const std::vector<std::string>& arguments) {
  const TempDir dir = TempDir::create("pop-options-").value();
  std::vector<std::string> argv = {POP_BINARY,    "server", "--listen",
                                   "127.0.0.1:0", "--data", (dir.path() / "data").string()};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  testing::Subprocess server(argv, {}, dir.path().string());
  testing::eventually(
      [&] {
        return server.stdout_so_far().find("listening") != std::string::npos ||
               server.stderr_so_far().find("pop server") != std::string::npos;
      },
      15s);
  server.signal(SIGTERM);  // a server that started after all is stopped
  return server.wait();
}

// A budget for bodies in flight below the largest body a route accepts (a lease report,
// 64 MiB) would refuse such a request whatever else is going on, 1 byte every body.
TEST(ServerOptions, ABodyMemoryBudgetBelowTheLargestRouteBodyIsRefused) {
  for (const auto& [budget, bytes] :
       std::map<std::string, std::string>{{"32Mi", "33554432"}, {"1", "1"}}) {
    const auto refused = start_with({"--max-body-memory", budget});
    EXPECT_EQ(refused.exit_status, 2) << budget << ": " << refused.out << refused.err;
    EXPECT_NE(refused.err.find("--max-body-memory (" + bytes + " bytes)"), std::string::npos)
        << refused.err;
    EXPECT_NE(refused.err.find("67108864"), std::string::npos) << refused.err;
    EXPECT_EQ(refused.out.find("listening"), std::string::npos) << refused.out;
  }
  const auto zero = start_with({"--max-body-memory", "0"});
  EXPECT_EQ(zero.exit_status, 2) << zero.out << zero.err;
  EXPECT_NE(zero.err.find("--max-body-memory"), std::string::npos) << zero.err;
  const auto started = start_with({"--max-body-memory", "64Mi"});
  EXPECT_NE(started.out.find("listening"), std::string::npos) << started.out << started.err;
  EXPECT_EQ(started.exit_status, 0) << started.err;
}

// A password never reaches a process listing or a log: a URI that holds one is refused
// without repeating it; from a file it is used and not shown.
TEST(ServerOptions, APostgresStoreTakesItsPasswordFromAFileNeverFromTheUri) {
  testing::PostgresCluster database;
  // Two commands: CREATE DATABASE cannot run in the transaction of a multi-statement -c.
  ASSERT_EQ(database.psql("CREATE ROLE pop LOGIN PASSWORD 'sesame-4711'").exit_status, 0);
  ASSERT_EQ(database.psql("CREATE DATABASE pop OWNER pop").exit_status, 0);
  database.require_password_of("pop");
  const std::string socket = database.socket_directory().string();
  const std::string with_password = "postgresql://pop:sesame-4711@/pop?host=" + socket;
  const auto refused = start_with({"--store", with_password});
  EXPECT_EQ(refused.exit_status, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("PGPASSWORD"), std::string::npos) << refused.err;
  EXPECT_EQ((refused.out + refused.err).find("sesame"), std::string::npos) << refused.err;

  const auto no_password = start_with({"--store", "postgresql://pop@/pop?host=" + socket});
  EXPECT_EQ(no_password.exit_status, 2) << no_password.out << no_password.err;
  EXPECT_NE(no_password.err.find("password"), std::string::npos) << no_password.err;

  const auto not_postgres = start_with({"--store", "mysql://localhost/pop"});
  EXPECT_EQ(not_postgres.exit_status, 2) << not_postgres.err;
  EXPECT_NE(not_postgres.err.find("--store"), std::string::npos) << not_postgres.err;

  // Where other replicas send pullers, with their tokens: checked before anything starts.
  const auto bad_advertised =
      start_with({"--store", "postgresql:///pop?host=" + socket, "--advertise-url", "ftp://x"});
  EXPECT_EQ(bad_advertised.exit_status, 2) << bad_advertised.out << bad_advertised.err;
  EXPECT_NE(bad_advertised.err.find("--advertise-url must be an http:// or https:// URL"),
            std::string::npos)
      << bad_advertised.err;

  const TempDir dir = TempDir::create("pop-store-password-").value();
  const auto password_file = dir.path() / "password";
  std::ofstream(password_file) << "sesame-4711\n";
  const auto started = start_with({"--store", "postgresql://pop@/pop?host=" + socket,
                                   "--store-password-file", password_file.string()});
  EXPECT_NE(started.out.find("listening"), std::string::npos) << started.out << started.err;
  EXPECT_NE(started.out.find("agendas in postgresql://pop@/pop"), std::string::npos) << started.out;
  EXPECT_EQ((started.out + started.err).find("sesame"), std::string::npos) << started.out;
  EXPECT_EQ(started.exit_status, 0) << started.err;
  EXPECT_EQ(
      database.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'agendas'", "pop").out,
      "pop\n");
}

}  // namespace
}  // namespace pop::cli
