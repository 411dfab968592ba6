// The body of POST /v1/reports: {"percentComplete": 0..100, "message": "...", "output": any},
// every field optional but at least one present.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "model/output_limits.h"
#include "util/result.h"

namespace pop::service {

// The output may be far larger than a Kubernetes termination message (4 KiB), but no larger
// than an output from any other source (model/output_limits.h): it is stored in the agenda's
// progress and embedded in later payloads.
inline constexpr std::size_t kMaxReportedOutputBytes = kOutputLimits.max_bytes;
inline constexpr std::size_t kMaxReportedOutputValues = kOutputLimits.max_values;
inline constexpr int kMaxReportedOutputDepth = kOutputLimits.max_depth;
inline constexpr std::size_t kMaxReportMessageBytes = 4096;
// The whole body: an output and a message at their limits, with room around them for the
// other fields and the JSON punctuation.
inline constexpr JsonLimits kReportBodyLimits{
    .max_bytes = kMaxReportedOutputBytes + kMaxReportMessageBytes + 1024,
    .max_depth = kMaxReportedOutputDepth + 1,
    .max_values = kMaxReportedOutputValues + 4};

struct HandlerReport {
  std::optional<double> percent_complete;
  std::optional<std::string> message;
  std::optional<nlohmann::json> output;  // set (possibly to null) when the body has "output"
};

// kInvalidArgument naming the field (not an object, an unknown field, a percentage outside
// 0..100, a message that is not a string, nothing reported); kTooLarge when the output or
// message exceeds its limit, or the output nests deeper than kMaxReportedOutputDepth or
// holds more than kMaxReportedOutputValues values.
Result<HandlerReport> parse_handler_report(std::string_view body);

}  // namespace pop::service
