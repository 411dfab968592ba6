// Timestamps in documents are ISO 8601 UTC with milliseconds ("2026-11-28T08:00:00.123Z");
// POP's epoch-millisecond numbers are accepted when reading.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "util/result.h"

namespace pop {

using WallTime = std::chrono::system_clock::time_point;

std::string format_time(WallTime time);

// Accepts the format_time form (fraction optional) or a number of epoch milliseconds.
Result<WallTime> parse_time(const nlohmann::json& value);

}  // namespace pop
