// The error answer of every API route, in the one error shape (http/error_response.h). A
// refusal of an authenticated caller (403) is also logged, through the request's logger, with
// the caller's name and the reason, as the gate logs its 401s: both are what an operator
// looks for when a tenant says "access denied".
#pragma once

#include "http/error_response.h"
#include "http/http_types.h"

namespace pop::api {

http::HttpResponse api_error(const Error& error, const http::HttpRequest& request);

}  // namespace pop::api
