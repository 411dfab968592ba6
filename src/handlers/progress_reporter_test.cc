#include "handlers/progress_reporter.h"

#include <gtest/gtest.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "http_client/test_server.h"

namespace pop {
namespace {

class ProgressReporterTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::pipe(fds_), 0); }
  void TearDown() override {
    ::unsetenv("POP_PROGRESS_FD");
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  void export_write_end() { ::setenv("POP_PROGRESS_FD", std::to_string(fds_[1]).c_str(), 1); }
  std::string read_available() {
    char buffer[2 * PIPE_BUF];
    const ssize_t n = ::read(fds_[0], buffer, sizeof buffer);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
  }

  int fds_[2] = {-1, -1};
};

TEST_F(ProgressReporterTest, WritesOneJsonLinePerReport) {
  export_write_end();
  ProgressReporter reporter;
  reporter.report(42.5, "almost half");
  const std::string line = read_available();
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(nlohmann::json::parse(line),
            nlohmann::json::parse(R"({"percentComplete": 42.5, "message": "almost half"})"));
}

TEST_F(ProgressReporterTest, KeepsAReportWithinOneAtomicPipeWrite) {
  export_write_end();
  ProgressReporter reporter;
  reporter.report(1, std::string(10000, '\x01') + "\xff");
  const std::string line = read_available();
  EXPECT_LE(line.size(), static_cast<std::size_t>(PIPE_BUF));
  EXPECT_NO_THROW(nlohmann::json::parse(line));
}

TEST_F(ProgressReporterTest, DoesNothingWithoutAUsableDescriptor) {
  for (const char* value : {"", "abc", "3x", "-1", "100000"}) {
    ::setenv("POP_PROGRESS_FD", value, 1);
    ProgressReporter reporter;
    reporter.report(50, "nobody listens");
  }
  ::unsetenv("POP_PROGRESS_FD");
  ProgressReporter reporter;
  reporter.report(50, "nobody listens");
  ::close(fds_[1]);
  fds_[1] = -1;
  EXPECT_EQ(read_available(), "");
}

// SIGPIPE's default action would end this test process.
TEST_F(ProgressReporterTest, SurvivesAReaderThatWentAway) {
  export_write_end();
  ::close(fds_[0]);
  fds_[0] = -1;
  ProgressReporter reporter;
  reporter.report(10, "into the void");
  reporter.report(20, "again");
  sigset_t pending;
  ::sigpending(&pending);
  EXPECT_EQ(::sigismember(&pending, SIGPIPE), 0);
}

// Container and Pod handlers have no descriptor: their progress goes to the report endpoint,
// throttled, and stops once the lease is gone (409).
TEST_F(ProgressReporterTest, PostsToTheReportEndpointWithoutADescriptor) {
  std::atomic<int> status = 204;
  auto server = http_client::testing::TestServer::start_tcp(
      [&](const http_client::testing::ReceivedRequest&, http_client::testing::Connection& peer) {
        peer.respond(status.load(), "");
      });
  ASSERT_NE(server, nullptr);
  const std::string url = server->base_url() + "/v1/reports";
  ::setenv("POP_REPORT_URL", url.c_str(), 1);
  ::setenv("POP_REPORT_TOKEN", "popr1.attempt-token", 1);
  {
    ProgressReporter reporter;
    reporter.report(10, "first");
    reporter.report(20, "too soon: dropped");
    reporter.report(100, "done");
  }
  ASSERT_TRUE(server->wait_for_requests(2));
  auto requests = server->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/reports");
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer popr1.attempt-token");
  EXPECT_EQ(nlohmann::json::parse(requests[0].body),
            (nlohmann::json{{"percentComplete", 10}, {"message", "first"}}));
  EXPECT_EQ(nlohmann::json::parse(requests[1].body)["message"], "done");

  status = 409;
  {
    ProgressReporter reporter;
    reporter.report(100, "refused");
    reporter.report(100, "not sent: the lease is gone");
  }
  EXPECT_EQ(server->requests().size(), 3u);
  ::unsetenv("POP_REPORT_URL");
  ::unsetenv("POP_REPORT_TOKEN");
}

}  // namespace
}  // namespace pop
