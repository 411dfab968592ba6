// The JSON body of an API request, parsed within size and nesting limits, with errors that
// say they are about the body.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>

#include "http/http_types.h"
#include "util/result.h"

namespace pop::api {

// kInvalidArgument for malformed JSON or nesting deeper than max_depth, kTooLarge for more
// than max_bytes; messages start with "request body: ".
Result<nlohmann::json> json_body(const http::HttpRequest& request, std::size_t max_bytes,
                                 int max_depth);

}  // namespace pop::api
