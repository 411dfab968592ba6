// HttpWorkSource against a scripted server: what it makes of answers a real server would not
// give. A puller trusts its server no further than it must: a malformed answer is an error
// (kUnavailable, retried later), never an exception or a value silently changed.
#include "puller/http_work_source.h"

#include <gtest/gtest.h>

#include <string>

#include "http_client/test_server.h"

namespace pop::puller {
namespace {

using http_client::testing::Connection;
using http_client::testing::ReceivedRequest;
using http_client::testing::TestServer;

// Answers every request with `body` as JSON.
std::unique_ptr<TestServer> answering(std::string body) {
  return TestServer::start_tcp(
      [body = std::move(body)](const ReceivedRequest&, Connection& connection) {
        connection.respond(200, body, {"Content-Type: application/json"});
      });
}

Result<ReportedProgress> reported_progress(const std::string& answer) {
  auto server = answering(answer);
  if (!server) return fail(ErrorCode::kInternal, "no test server");
  auto source = HttpWorkSource::create({.base_url = server->base_url()}, "default", "puller-1");
  if (!source) return fail(source.error());
  return (*source)->reported_progress("agenda-1", 1, 0);
}

TEST(HttpWorkSourceTest, ReportedProgressReadsEachAttempt) {
  auto progress = reported_progress(
      R"({"cursor": 7, "attempts": [{"operation": "a", "attempt": 2, "percentComplete": 50,
          "message": "half"}]})");
  ASSERT_TRUE(progress.has_value()) << progress.error().message;
  EXPECT_EQ(progress->cursor, 7u);
  ASSERT_EQ(progress->attempts.size(), 1u);
  EXPECT_EQ(progress->attempts[0].operation, "a");
  EXPECT_EQ(progress->attempts[0].attempt, 2);
  EXPECT_EQ(progress->attempts[0].percent_complete, 50);
  EXPECT_EQ(progress->attempts[0].message, "half");
}

// 4294967298 would read as attempt 2 through get<int>(): another attempt's reports.
TEST(HttpWorkSourceTest, AnAttemptNumberOutsideIntIsAMalformedAnswer) {
  for (const char* attempt : {"4294967298", "-4294967294", "2147483648"}) {
    auto progress =
        reported_progress(R"({"cursor": 7, "attempts": [{"operation": "a", "attempt": )" +
                          std::string(attempt) + "}]}");
    ASSERT_FALSE(progress.has_value()) << attempt;
    EXPECT_EQ(progress.error().code, ErrorCode::kUnavailable) << attempt;
    EXPECT_EQ(progress.error().message, "reports answer with a malformed attempt") << attempt;
  }
}

}  // namespace
}  // namespace pop::puller
