#include "api/authentication_gate.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "testing/captured_log.h"
#include "util/clock.h"

namespace pop::api {
namespace {

// Knows no token: every request is refused.
class NobodyAuthenticator final : public auth::Authenticator {
 public:
  Result<std::optional<auth::Principal>> authenticate(std::string_view) const override {
    return fail(ErrorCode::kUnauthenticated, "unknown API token");
  }
};

http::HttpRequest request(int number, Logger& log) {
  http::HttpRequest request;
  request.logger = &log;
  request.method = "GET";
  request.path = "/v1/agendas";
  request.remote_address = "127.0.0.2:4000";
  request.correlation_id = "attempt-" + std::to_string(number);
  request.headers.set("Authorization", "Bearer pop_guess");
  return request;
}

// A client that reconnects as fast as it can with a bad token must not fill the log: the
// first refusals are logged whole, the rest of the interval only counted.
TEST(AuthenticationGate, RefusalsBeyondTheBurstAreLeftOutOfTheLog) {
  NobodyAuthenticator nobody;
  ManualClock clock;
  testing::CapturedLog log;
  const http::Gate gate = authentication_gate(nobody, clock);
  for (int i = 0; i < 500; ++i) {
    auto req = request(i, log);
    auto refusal = gate(req);
    ASSERT_TRUE(refusal.has_value());
    EXPECT_EQ(refusal->status, 401);
  }
  const auto events = log.events();
  ASSERT_EQ(events.size(), kRefusalLogBurst);
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].level, LogLevel::kWarning);
    EXPECT_EQ(events[i].message, "refused");
    const std::map<std::string, std::string> expected = {
        {"method", "GET"},
        {"path", "/v1/agendas"},
        {"peer", "127.0.0.2:4000"},
        {"correlation_id", "attempt-" + std::to_string(i)},
        {"error", "unknown API token"},
        {"refusals_left_out", "0"}};
    EXPECT_EQ(events[i].fields, expected);
  }
}

// Once the interval is over, the next refusal is logged whole again, saying how many were
// left out before it.
TEST(AuthenticationGate, TheNextLineLoggedCountsTheRefusalsLeftOut) {
  NobodyAuthenticator nobody;
  ManualClock clock;
  testing::CapturedLog log;
  const http::Gate gate = authentication_gate(nobody, clock);
  for (int i = 0; i < 100; ++i) {
    auto req = request(i, log);
    gate(req);
  }
  ASSERT_EQ(log.events().size(), kRefusalLogBurst);
  clock.advance(kRefusalLogInterval);
  auto req = request(100, log);
  gate(req);
  const auto events = log.events();
  ASSERT_EQ(events.size(), kRefusalLogBurst + 1);
  EXPECT_EQ(events.back().fields.at("correlation_id"), "attempt-100");
  EXPECT_EQ(events.back().fields.at("refusals_left_out"), "80");
}

}  // namespace
}  // namespace pop::api
