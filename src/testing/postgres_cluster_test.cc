// The private PostgreSQL cluster the PostgreSQL store's tests will run against: it starts,
// keeps committed rows across an immediate (crash-like) stop, and leaves nothing behind.
#include "testing/postgres_cluster.h"

#include <gtest/gtest.h>

#include <fstream>

namespace pop::testing {
namespace {

// The postmaster's pid, from the first line of its pid file; 0 when there is none.
pid_t postmaster_pid(const std::filesystem::path& socket_directory) {
  const std::string text = read_file(socket_directory / "data" / "postmaster.pid");
  return text.empty() ? 0 : static_cast<pid_t>(std::stol(text));
}

// Running, as opposed to gone or a zombie (the postmaster's parent, pg_ctl, exits at once, so
// whoever reaps it may take a while).
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto state = line.find(") ");
  return state != std::string::npos && line[state + 2] != 'Z';
}

TEST(PostgresCluster, StartsAndAnswersOnItsOwnSocket) {
  PostgresCluster cluster;
  const auto answer = cluster.psql("SELECT current_setting('server_version_num')::int / 10000");
  ASSERT_EQ(answer.exit_status, 0) << answer.err;
  EXPECT_EQ(answer.out, "15\n");
  const auto listening = cluster.psql("SHOW listen_addresses");
  EXPECT_EQ(listening.out, "\n");  // no TCP
}

TEST(PostgresCluster, CommittedRowsSurviveAnImmediateStop) {
  PostgresCluster cluster;
  ASSERT_EQ(cluster.psql("CREATE TABLE t (v int); INSERT INTO t VALUES (7)").exit_status, 0);
  cluster.stop_immediately();
  EXPECT_NE(cluster.psql("SELECT 1").exit_status, 0);  // down
  cluster.start();
  const auto rows = cluster.psql("SELECT v FROM t");
  ASSERT_EQ(rows.exit_status, 0) << rows.err;
  EXPECT_EQ(rows.out, "7\n");
}

TEST(PostgresCluster, LeavesNoProcessAndNoDirectory) {
  std::filesystem::path directory;
  pid_t pid = 0;
  {
    PostgresCluster cluster;
    directory = cluster.socket_directory();
    pid = postmaster_pid(directory);
    ASSERT_GT(pid, 0);
    EXPECT_TRUE(running(pid));
  }
  EXPECT_TRUE(eventually([&] { return !running(pid); }));
  EXPECT_FALSE(std::filesystem::exists(directory));
}

}  // namespace
}  // namespace pop::testing
