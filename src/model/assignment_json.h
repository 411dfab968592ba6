// An Assignment as JSON, in the form of one entry of the pull answer's "agendas" array:
// {"agenda", "progress", "epoch", "reportKey" (base64url, may be absent), "kubernetesNamespace"
// (may be absent)}. The HTTP work source reads pull answers with it; a puller that starts
// executor Pods hands an assignment to `pop executor` in the same form (POP_ASSIGNMENT).
#pragma once

#include <nlohmann/json.hpp>

#include "model/assignment.h"
#include "util/result.h"

namespace pop {

Json assignment_to_json(const Assignment& assignment);

// kInvalidArgument naming the malformed field ("an assignment without a numeric epoch", ...).
Result<Assignment> assignment_from_json(const Json& document);

}  // namespace pop
