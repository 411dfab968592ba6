#include "http_client/retry_policy.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <string>

namespace pop::http_client {

using std::chrono::milliseconds;

bool is_repeatable(std::string_view method, const Headers& headers) {
  if (method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
      method == "DELETE") {
    return true;
  }
  auto key = headers.find("Idempotency-Key");
  return key != headers.end() && !key->second.empty();
}

bool is_retryable_status(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

std::optional<milliseconds> next_retry_delay(const RetryPolicy& policy,
                                             const AttemptOutcome& outcome, int attempts_made,
                                             milliseconds elapsed, double unit_random) {
  if (attempts_made >= policy.max_attempts) return std::nullopt;
  if (!outcome.connect_failed && !is_retryable_status(outcome.status)) return std::nullopt;
  milliseconds delay;
  if (!outcome.connect_failed && outcome.retry_after) {
    delay = *outcome.retry_after;
  } else {
    // Doubling stops at the cap, so a large attempt count cannot overflow.
    milliseconds ceiling = std::max(policy.initial_delay, milliseconds(0));
    for (int i = 1; i < attempts_made && ceiling < policy.max_delay; ++i) ceiling *= 2;
    ceiling = std::min(ceiling, policy.max_delay);
    const double jitter = std::clamp(unit_random, 0.0, 1.0);
    const auto half = ceiling / 2;
    delay = half + milliseconds(static_cast<milliseconds::rep>(
                       static_cast<double>((ceiling - half).count()) * jitter));
  }
  if (elapsed + delay > policy.max_elapsed) return std::nullopt;
  return delay;
}

std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now) {
  const auto first = value.find_first_not_of(" \t");
  if (first == std::string_view::npos) return std::nullopt;
  value.remove_prefix(first);
  value = value.substr(0, value.find_last_not_of(" \t") + 1);
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    // A day is far beyond any retry budget; capping keeps the arithmetic in range.
    constexpr long long kCapSeconds = 86400;
    long long seconds = kCapSeconds;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (error != std::errc() || seconds > kCapSeconds) seconds = kCapSeconds;
    return std::chrono::seconds(seconds);
  }
  const std::string text(value);
  const time_t when = curl_getdate(text.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  const auto delay = std::chrono::system_clock::from_time_t(when) - now;
  return std::max(std::chrono::ceil<milliseconds>(delay), milliseconds(0));
}

}  // namespace pop::http_client
