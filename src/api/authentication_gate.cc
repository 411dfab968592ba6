#include "api/authentication_gate.h"

#include <cstdio>

#include "http/error_response.h"
#include "util/text.h"

namespace pop::api {

http::Gate authentication_gate(const auth::Authenticator& authenticator) {
  return [&authenticator](http::HttpRequest& request) -> std::optional<http::HttpResponse> {
    auto token = auth::bearer_token(request.header("Authorization"));
    auto principal = token ? authenticator.authenticate(*token)
                           : Result<std::optional<auth::Principal>>(tl::unexpected(token.error()));
    if (principal && *principal) {
      request.principal = std::make_shared<const auth::Principal>(std::move(**principal));
      return std::nullopt;
    }
    const Error error = principal ? Error{ErrorCode::kUnauthenticated, "unknown credentials", {}}
                                  : principal.error();
    std::fprintf(stderr, "pop server: refused %s %s from %s (correlation id %s): %s\n",
                 escape_for_log(request.method).c_str(), escape_for_log(request.path).c_str(),
                 escape_for_log(request.remote_address).c_str(),
                 escape_for_log(request.correlation_id).c_str(),
                 escape_for_log(error.message).c_str());
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
