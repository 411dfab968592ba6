// The JSON body of an API request, parsed within size and nesting limits, with errors that
// say they are about the body.
#pragma once

#include <nlohmann/json.hpp>

#include "http/http_types.h"
#include "util/json_limits.h"
#include "util/result.h"

namespace pop::api {

// A small request: a pull, a rerun, a pool, an insight, a customer. A few fields each, with
// room for the longest lists they may carry (a rerun naming every operation of the largest
// agenda, 10,000; a pull's skipInsightIds, 1,000) and far below a progress document's
// 2,000,000 values and depth 160, so that 1 MiB of "[]," cannot build a large document. Its
// bytes are the body limit of the routes that take one.
inline constexpr JsonLimits kSmallRequestLimits{
    .max_bytes = 1u << 20, .max_depth = 16, .max_values = 20'000};

// kInvalidArgument for malformed JSON, kTooLarge past one of `limits` (bytes, depth, values);
// messages start with "request body: ".
Result<nlohmann::json> json_body(const http::HttpRequest& request, const JsonLimits& limits);

}  // namespace pop::api
