#include "api/authentication_gate.h"

#include <memory>
#include <mutex>
#include <string>

#include "http/error_response.h"

namespace pop::api {
namespace {

// The gate is copied with the router; every copy logs through this one.
class ThrottledLog {
 public:
  explicit ThrottledLog(const Clock& clock) : clock_(clock) {}

  void refused(const http::HttpRequest& request, const Error& error) {
    std::lock_guard lock(mu_);
    const auto left_out = throttle_.admit(clock_.steady_now());
    if (!left_out) return;
    // Every event carries the count, 0 mostly, so that readers of the JSON log need no
    // second shape.
    request.logger->warning("refused", {{"method", request.method},
                                        {"path", request.path},
                                        {"peer", request.remote_address},
                                        {"correlation_id", request.correlation_id},
                                        {"error", error.message},
                                        {"refusals_left_out", std::to_string(*left_out)}});
  }

 private:
  const Clock& clock_;
  std::mutex mu_;
  LogThrottle throttle_{kRefusalLogInterval, kRefusalLogBurst};  // guarded by mu_
};

}  // namespace

http::Gate authentication_gate(const auth::Authenticator& authenticator, const Clock& clock) {
  auto refusals = std::make_shared<ThrottledLog>(clock);
  return [&authenticator,
          refusals](http::HttpRequest& request) -> std::optional<http::HttpResponse> {
    auto token = auth::bearer_token(request.header("Authorization"));
    auto principal = token ? authenticator.authenticate(*token)
                           : Result<std::optional<auth::Principal>>(fail(token.error()));
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
