// Reads what a handler left in its POP_OUTPUT_FILE.
#pragma once

#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "model/output_limits.h"
#include "util/result.h"

namespace pop {

// Absent, empty or blank: null. At most `max_bytes` (kOutputLimits.max_bytes unless a runner
// has its own), with kOutputLimits' depth and values. Otherwise the parsed JSON, or an error whose
// message is the attempt's failure message ("output file is not valid JSON: ...").
Result<nlohmann::json> read_output_file(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace pop
