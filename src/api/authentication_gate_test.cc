#include "api/authentication_gate.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace pop::api {
namespace {

// Knows no token: every request is refused.
class NobodyAuthenticator final : public auth::Authenticator {
 public:
  Result<std::optional<auth::Principal>> authenticate(std::string_view) const override {
    return fail(ErrorCode::kUnauthenticated, "unknown API token");
  }
};

http::HttpRequest request(int number) {
  http::HttpRequest request;
  request.method = "GET";
  request.path = "/v1/agendas";
  request.remote_address = "127.0.0.2:4000";
  request.correlation_id = "attempt-" + std::to_string(number);
  request.headers.set("Authorization", "Bearer pop_guess");
  return request;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A client that reconnects as fast as it can with a bad token must not fill the log: the
// first refusals are logged whole, the rest of the interval only counted.
TEST(AuthenticationGate, RefusalsBeyondTheBurstAreLeftOutOfTheLog) {
  NobodyAuthenticator nobody;
  const http::Gate gate = authentication_gate(nobody);
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 500; ++i) {
    auto req = request(i);
    auto refusal = gate(req);
    ASSERT_TRUE(refusal.has_value());
    EXPECT_EQ(refusal->status, 401);
  }
  const std::vector<std::string> lines = lines_of(::testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), kRefusalLogBurst);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i],
              "pop server: refused GET /v1/agendas from 127.0.0.2:4000 (correlation id "
              "attempt-" +
                  std::to_string(i) + "): unknown API token");
  }
}

// Once the interval is over, the next refusal is logged whole again, saying how many were
// left out before it.
TEST(AuthenticationGate, TheNextLineLoggedCountsTheRefusalsLeftOut) {
  NobodyAuthenticator nobody;
  std::vector<std::string> lines;
  LogThrottle::Clock::time_point now{};
  const http::Gate gate = authentication_gate(
      nobody,
      {[&lines](std::string_view line) { lines.emplace_back(line); }, [&now] { return now; }});
  for (int i = 0; i < 100; ++i) {
    auto req = request(i);
    gate(req);
  }
  ASSERT_EQ(lines.size(), kRefusalLogBurst);
  now += kRefusalLogInterval;
  auto req = request(100);
  gate(req);
  ASSERT_EQ(lines.size(), kRefusalLogBurst + 1);
  EXPECT_EQ(lines.back(),
            "pop server: refused GET /v1/agendas from 127.0.0.2:4000 (correlation id attempt-100): "
            "unknown API token (80 more refusals since the last one logged)");
}

}  // namespace
}  // namespace pop::api
