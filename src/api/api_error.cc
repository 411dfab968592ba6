#include "api/api_error.h"

#include "api/authentication_gate.h"

namespace pop::api {

http::HttpResponse api_error(const Error& error, const http::HttpRequest& request) {
  if (error.code == ErrorCode::kForbidden) {
    request.logger->warning("forbidden", {{"method", request.method},
                                          {"path", request.path},
                                          {"caller", caller_of(request).name},
                                          {"correlation_id", request.correlation_id},
                                          {"error", error.message}});
  }
  return http::error_response(error, request.correlation_id);
}

}  // namespace pop::api
