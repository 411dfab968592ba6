// The limits of one handler output, a part of the handler contract.
#pragma once

#include "util/json_limits.h"

namespace pop {

// What one handler output may be, wherever it comes from (POP_OUTPUT_FILE, the report
// endpoint, a termination message): outputs are stored in the agenda's progress and embedded
// in later payloads (docs/handler-contract.md). The depth limit keeps the recursive code that
// serializes them safe.
inline constexpr int kMaxOutputDepth = 128;
inline constexpr JsonLimits kOutputLimits{
    .max_bytes = 1u << 20, .max_depth = kMaxOutputDepth, .max_values = 100'000};

}  // namespace pop
