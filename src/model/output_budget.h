// Keeps the outputs an executor stores within ExecutionLimits: each output, and all of them
// together, so that the agenda's progress document stays a size that can be stored, sent to
// the server and served back. An output that does not fit fails its attempt.
//
// Thread-safety: none; the executor's thread only.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <vector>

#include "model/execution_limits.h"
#include "util/json_size.h"
#include "util/result.h"

namespace pop {

// Whether an output of `size` is within `limit`, what one output may be whatever its source
// (ExecutionLimits::output; the report endpoint's kMaxReportedOutput*). kTooLarge naming the
// limit passed: "the output is N bytes (serialised), over the limit of M bytes for one
// output", or the same for JSON values.
Result<void> check_output_size(const JsonSize& size, const JsonSize& limit);

class OutputBudget {
 public:
  OutputBudget(const ExecutionLimits& limits, std::size_t operations);

  // Counts `output` as operation `index`'s, in place of what it had; counts nothing on
  // failure. kTooLarge (check_output_size) when the output alone passes its limit.
  // kResourceExhausted, naming the limit, when the agenda's outputs together would pass
  // theirs: the outputs already kept stay, so the same output would be refused again.
  Result<void> admit(std::size_t index, const nlohmann::json& output);

 private:
  JsonSize per_output_;
  JsonBudget total_;
  std::vector<JsonSize> sizes_;  // by operation index
};

}  // namespace pop
