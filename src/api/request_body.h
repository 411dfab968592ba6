// The JSON body of an API request, parsed within size and nesting limits, with errors that
// say they are about the body.
#pragma once

#include <nlohmann/json.hpp>

#include "http/http_types.h"
#include "util/json_limits.h"
#include "util/result.h"

namespace pop::api {

// kInvalidArgument for malformed JSON, kTooLarge past one of `limits` (bytes, depth, values);
// messages start with "request body: ".
Result<nlohmann::json> json_body(const http::HttpRequest& request, const JsonLimits& limits);

}  // namespace pop::api
