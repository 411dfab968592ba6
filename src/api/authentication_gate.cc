#include "api/authentication_gate.h"

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "http/error_response.h"
#include "util/text.h"

namespace pop::api {
namespace {

// The gate is copied with the router; every copy logs through this one.
class ThrottledLog {
 public:
  explicit ThrottledLog(RefusalLog log) : log_(std::move(log)) {
    if (!log_.write) {
      log_.write = [](std::string_view line) {
        std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
      };
    }
    if (!log_.now) log_.now = [] { return LogThrottle::Clock::now(); };
  }

  void refused(const http::HttpRequest& request, const Error& error) {
    std::lock_guard lock(mu_);
    const auto left_out = throttle_.admit(log_.now());
    if (!left_out) return;
    std::string line = "pop server: refused " + escape_for_log(request.method) + " " +
                       escape_for_log(request.path) + " from " +
                       escape_for_log(request.remote_address) + " (correlation id " +
                       escape_for_log(request.correlation_id) +
                       "): " + escape_for_log(error.message);
    if (*left_out > 0)
      line += " (" + std::to_string(*left_out) + " more refusals since the last one logged)";
    log_.write(line);
  }

 private:
  RefusalLog log_;
  std::mutex mu_;
  LogThrottle throttle_{kRefusalLogInterval, kRefusalLogBurst};  // guarded by mu_
};

}  // namespace

http::Gate authentication_gate(const auth::Authenticator& authenticator, RefusalLog log) {
  auto refusals = std::make_shared<ThrottledLog>(std::move(log));
  return [&authenticator,
          refusals](http::HttpRequest& request) -> std::optional<http::HttpResponse> {
    auto token = auth::bearer_token(request.header("Authorization"));
    auto principal = token ? authenticator.authenticate(*token)
                           : Result<std::optional<auth::Principal>>(tl::unexpected(token.error()));
    if (principal && *principal) {
      request.principal = std::make_shared<const auth::Principal>(std::move(**principal));
      return std::nullopt;
    }
    const Error error = principal ? Error{ErrorCode::kUnauthenticated, "unknown credentials", {}}
                                  : principal.error();
    refusals->refused(request, error);
    http::HttpResponse response = http::error_response(error, request.correlation_id);
    if (error.code == ErrorCode::kUnauthenticated)
      response.headers.set("WWW-Authenticate", "Bearer realm=\"pop\"");
    return response;
  };
}

const auth::Principal& caller_of(const http::HttpRequest& request) {
  // A reporter with no attempt: refused by every rule.
  static const auth::Principal nobody{auth::Role::kReporter, "anonymous", {}, {}, {}};
  return request.principal ? *request.principal : nobody;
}

}  // namespace pop::api
