// YAML documents as JSON, so configuration files can be written in either.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "util/result.h"

namespace pop {

// Plain scalars become null, booleans, integers or floats when they read as such (YAML 1.2
// core schema), otherwise strings; quoted scalars stay strings. Errors carry the line.
Result<nlohmann::json> yaml_to_json(std::string_view text);

}  // namespace pop
