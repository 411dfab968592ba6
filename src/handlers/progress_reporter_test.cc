#include "handlers/progress_reporter.h"

#include <gtest/gtest.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

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

}  // namespace
}  // namespace pop
