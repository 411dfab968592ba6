// JSON parsing with limits enforced while parsing, so a hostile document cannot exhaust
// memory or the stack before it is rejected.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "util/result.h"

namespace pop {

// Errors: kTooLarge when text exceeds max_bytes or nesting exceeds max_depth (message names
// the limit), kInvalidArgument for a syntax error (message carries the byte offset).
Result<nlohmann::json> parse_json_limited(std::string_view text, std::size_t max_bytes,
                                          int max_depth);

}  // namespace pop
