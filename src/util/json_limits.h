// JSON parsing with limits enforced while parsing, so a hostile document cannot exhaust
// memory or the stack before it is rejected.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "util/result.h"

namespace pop {

// What one parsed document may hold. Bytes and depth alone do not bound memory: 30 MiB of
// "{}," is 10 M objects, a few GB once built. Values count every scalar, object and array
// (object keys are not values): {"a": [1, 2]} holds 4. Every caller states all three.
struct JsonLimits {
  std::size_t max_bytes = 0;
  int max_depth = 0;
  std::size_t max_values = 0;
};

// Errors: kTooLarge when the text exceeds max_bytes, nesting exceeds max_depth or the
// document holds more than max_values (message names the limit), all found before any of
// the document is built; kInvalidArgument for a syntax error (message carries the byte
// offset).
Result<nlohmann::json> parse_json_limited(std::string_view text, const JsonLimits& limits);

// The same limits, with the same kTooLarge messages, for a value already built (a bound
// template, a document received as a value): the bytes are those of its compact text.
Result<void> check_json_limits(const nlohmann::json& value, const JsonLimits& limits);

}  // namespace pop
