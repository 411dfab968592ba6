// Reads what a handler left in its POP_OUTPUT_FILE.
#pragma once

#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "util/result.h"

namespace pop {

// Outputs are embedded in later payloads and stored; the depth limit keeps the recursive
// code that serializes them safe.
inline constexpr int kMaxOutputDepth = 128;

// Absent, empty or blank: null. Otherwise the parsed JSON, or an error whose message is the
// attempt's failure message ("output file is not valid JSON: ...").
Result<nlohmann::json> read_output_file(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace pop
