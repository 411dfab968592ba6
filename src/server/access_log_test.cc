#include "server/access_log.h"

#include <gtest/gtest.h>

#include <string>

#include "server/server_fixture.h"

namespace pop::server {
namespace {

class AccessLogTest : public ServerFixture {
 protected:
  void configure(ServerConfig& config) override { config.access_log = true; }
};

// One line per answer, with what an operator looks for, and never the query.
TEST_F(AccessLogTest, EveryAnswerIsLoggedOnceWithoutItsQuery) {
  ASSERT_EQ(call("GET", "/v1/agendas?linkId=private-value").status, 200);
  ASSERT_EQ(call("GET", "/v1/no-such-thing").status, 404);
  const std::string log = log_text();
  EXPECT_NE(log.find("request method=GET path=/v1/agendas route=/v1/agendas status=200 seconds="),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("remote=127.0.0.1"), std::string::npos) << log;
  EXPECT_NE(log.find("correlation="), std::string::npos) << log;
  EXPECT_NE(log.find("path=/v1/no-such-thing route=unmatched status=404"), std::string::npos)
      << log;
  EXPECT_EQ(log.find("private-value"), std::string::npos) << log;
}

class NoAccessLogTest : public ServerFixture {};

TEST_F(NoAccessLogTest, NothingIsLoggedPerRequestUnlessAsked) {
  ASSERT_EQ(call("GET", "/v1/agendas").status, 200);
  EXPECT_EQ(log_text().find("request method="), std::string::npos) << log_text();
}

}  // namespace
}  // namespace pop::server
