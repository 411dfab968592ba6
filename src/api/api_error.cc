#include "api/api_error.h"

#include <cstdio>

#include "api/authentication_gate.h"
#include "util/text.h"

namespace pop::api {

http::HttpResponse api_error(const Error& error, const http::HttpRequest& request) {
  if (error.code == ErrorCode::kForbidden) {
    std::fprintf(stderr, "pop server: forbidden %s %s to %s (correlation id %s): %s\n",
                 escape_for_log(request.method).c_str(), escape_for_log(request.path).c_str(),
                 escape_for_log(caller_of(request).name).c_str(),
                 escape_for_log(request.correlation_id).c_str(),
                 escape_for_log(error.message).c_str());
  }
  return http::error_response(error, request.correlation_id);
}

}  // namespace pop::api
