// YAML documents as JSON, so configuration files can be written in either.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "util/result.h"

namespace pop {

// What one document may expand to. Anchors and aliases let a few bytes name a subtree any
// number of times, or a subtree inside itself (a cycle), so the conversion counts what it
// builds: containers nested deeper than kMaxYamlDepth (the agenda limit), or more than
// kMaxYamlValues values in all, are refused. A handler registry is a few hundred values.
inline constexpr int kMaxYamlDepth = 64;
inline constexpr std::size_t kMaxYamlValues = 100000;

// Plain scalars become null, booleans, integers or floats when they read as such (YAML 1.2
// core schema), otherwise strings; quoted scalars stay strings. Errors (kInvalidArgument) carry the
// line, or name the limit.
Result<nlohmann::json> yaml_to_json(std::string_view text);

}  // namespace pop
