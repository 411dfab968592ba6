// Keeps the outputs an executor stores within ExecutionLimits: each output, and all of them
// together, so that the agenda's progress document stays a size that can be stored, sent to
// the server and served back. An output that does not fit fails its attempt.
//
// Thread-safety: none; the executor's thread only.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <vector>

#include "engine/execution_limits.h"
#include "util/json_size.h"
#include "util/result.h"

namespace pop {

class OutputBudget {
 public:
  OutputBudget(const ExecutionLimits& limits, std::size_t operations);

  // Counts `output` as operation `index`'s, in place of what it had. kTooLarge naming the
  // limit, counting nothing, when the output alone or the agenda's outputs together would
  // pass their limit.
  Result<void> admit(std::size_t index, const nlohmann::json& output);

 private:
  JsonSize per_output_;
  JsonBudget total_;
  std::vector<JsonSize> sizes_;  // by operation index
};

}  // namespace pop
