#include "http_client/retry_policy.h"

#include <gtest/gtest.h>

namespace pop::http_client {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

const RetryPolicy kPolicy{
    .max_attempts = 5, .initial_delay = 100ms, .max_delay = 1000ms, .max_elapsed = 10s};

TEST(RetryPolicy, RepeatableRequests) {
  EXPECT_TRUE(is_repeatable("GET", {}));
  EXPECT_TRUE(is_repeatable("HEAD", {}));
  EXPECT_TRUE(is_repeatable("PUT", {}));
  EXPECT_TRUE(is_repeatable("DELETE", {}));
  EXPECT_TRUE(is_repeatable("OPTIONS", {}));
  EXPECT_FALSE(is_repeatable("POST", {}));
  EXPECT_FALSE(is_repeatable("PATCH", {}));
  EXPECT_FALSE(is_repeatable("POST", {{"Idempotency-Key", ""}}));
  EXPECT_TRUE(is_repeatable("POST", {{"idempotency-key", "k1"}}));
}

TEST(RetryPolicy, RetryableOutcomes) {
  struct Case {
    AttemptOutcome outcome;
    bool retried;
  };
  const Case cases[] = {
      {{.connect_failed = true}, true}, {{.status = 429}, true},  {{.status = 502}, true},
      {{.status = 503}, true},          {{.status = 504}, true},  {{.status = 200}, false},
      {{.status = 400}, false},         {{.status = 409}, false}, {{.status = 500}, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(next_retry_delay(kPolicy, c.outcome, 1, 0ms, 0.5).has_value(), c.retried)
        << "status " << c.outcome.status;
  }
}

TEST(RetryPolicy, BackOffDoublesWithinJitterBoundsUpToTheCap) {
  const AttemptOutcome unavailable{.status = 503};
  // [d/2, d] for d = 100, 200, 400, 800, then capped at 1000.
  const milliseconds expected_ceiling[] = {100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms};
  RetryPolicy many = kPolicy;
  many.max_attempts = 100;
  for (int attempt = 1; attempt <= 6; ++attempt) {
    const milliseconds ceiling = expected_ceiling[attempt - 1];
    EXPECT_EQ(next_retry_delay(many, unavailable, attempt, 0ms, 0.0), ceiling / 2);
    EXPECT_EQ(next_retry_delay(many, unavailable, attempt, 0ms, 0.999999), ceiling - 1ms);
  }
  EXPECT_EQ(next_retry_delay(many, unavailable, 99, 0ms, 0.0), 500ms);  // no overflow
}

TEST(RetryPolicy, StopsAtMaxAttemptsAndMaxElapsed) {
  const AttemptOutcome unavailable{.status = 503};
  EXPECT_TRUE(next_retry_delay(kPolicy, unavailable, 4, 0ms, 0.0));
  EXPECT_FALSE(next_retry_delay(kPolicy, unavailable, 5, 0ms, 0.0));
  EXPECT_TRUE(next_retry_delay(kPolicy, unavailable, 1, 9950ms, 0.0));   // 50 ms fits
  EXPECT_FALSE(next_retry_delay(kPolicy, unavailable, 1, 9960ms, 0.0));  // would cross 10 s
}

TEST(RetryPolicy, RetryAfterReplacesTheBackOffButNotTheBudget) {
  EXPECT_EQ(next_retry_delay(kPolicy, {.status = 429, .retry_after = 0ms}, 1, 0ms, 0.9), 0ms);
  EXPECT_EQ(next_retry_delay(kPolicy, {.status = 503, .retry_after = 3s}, 1, 0ms, 0.9), 3s);
  EXPECT_FALSE(next_retry_delay(kPolicy, {.status = 503, .retry_after = 60s}, 1, 0ms, 0.9));
}

TEST(RetryPolicy, ParsesRetryAfter) {
  const auto now = std::chrono::system_clock::from_time_t(1'700'000'000);  // 2023-11-14 22:13:20
  EXPECT_EQ(parse_retry_after("0", now), 0ms);
  EXPECT_EQ(parse_retry_after(" 120 ", now), 120s);
  EXPECT_EQ(parse_retry_after("99999999999999999999", now), std::chrono::hours(24));
  EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now), 30s);
  EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now), 0ms);  // in the past
  EXPECT_FALSE(parse_retry_after("", now));
  EXPECT_FALSE(parse_retry_after("soon", now));
  EXPECT_FALSE(parse_retry_after("-5", now));
}

}  // namespace
}  // namespace pop::http_client
