// YAML documents as JSON, so configuration files can be written in either.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "util/json_limits.h"
#include "util/result.h"

namespace pop {

// Plain scalars become null, booleans, integers or floats when they read as such (YAML 1.2
// core schema), otherwise strings; quoted scalars stay strings. Errors carry the line.
// `limits` are checked as for JSON: bytes before parsing, depth and values while converting,
// which also stops aliases that expand a small document into a huge one
// (kTooLarge naming the limit).
Result<nlohmann::json> yaml_to_json(std::string_view text, const JsonLimits& limits);

}  // namespace pop
