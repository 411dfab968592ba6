// The body of POST /v1/reports: {"percentComplete": 0..100, "message": "...", "output": any},
// every field optional but at least one present.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace pop::service {

// The output may be far larger than a Kubernetes termination message (4 KiB), but it is
// stored in the agenda's progress and embedded in later payloads: 1 MiB keeps those sane.
inline constexpr std::size_t kMaxReportedOutputBytes = 1u << 20;
inline constexpr std::size_t kMaxReportMessageBytes = 4096;
// The whole body: an output and a message at their limits, with room around them for the
// other fields and the JSON punctuation.
inline constexpr std::size_t kMaxReportBodyBytes =
    kMaxReportedOutputBytes + kMaxReportMessageBytes + 1024;
// As for POP_OUTPUT_FILE: outputs are resolved and serialised recursively.
inline constexpr int kMaxReportedOutputDepth = 128;

struct HandlerReport {
  std::optional<double> percent_complete;
  std::optional<std::string> message;
  std::optional<nlohmann::json> output;  // set (possibly to null) when the body has "output"
};

// kInvalidArgument naming the field (not an object, an unknown field, a percentage outside
// 0..100, a message that is not a string, nothing reported); kTooLarge when the output or
// message exceeds its limit or the output nests deeper than kMaxReportedOutputDepth.
Result<HandlerReport> parse_handler_report(std::string_view body);

}  // namespace pop::service
