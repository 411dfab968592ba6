// Reads what a handler left in its POP_OUTPUT_FILE.
#pragma once

#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "util/json_limits.h"
#include "util/result.h"

namespace pop {

// What one handler output may be, wherever it comes from (POP_OUTPUT_FILE, the report
// endpoint, a termination message): outputs are stored in the agenda's progress and embedded
// in later payloads (docs/handler-contract.md). The depth limit keeps the recursive code that
// serializes them safe.
inline constexpr int kMaxOutputDepth = 128;
inline constexpr JsonLimits kOutputLimits{
    .max_bytes = 1u << 20, .max_depth = kMaxOutputDepth, .max_values = 100'000};

// Absent, empty or blank: null. At most `max_bytes` (kOutputLimits.max_bytes unless a runner
// has its own), with kOutputLimits' depth and values. Otherwise the parsed JSON, or an error whose
// message is the attempt's failure message ("output file is not valid JSON: ...").
Result<nlohmann::json> read_output_file(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace pop
