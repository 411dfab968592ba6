// The puller's pull answers (POST /v1/pools/{pool}/pull): {"agendas": [assignment, ...],
// "executionLimits": {...}}, each assignment read by model/assignment_json.h as the HTTP
// work source reads it, and as `pop executor` reads the one it is handed (POP_ASSIGNMENT).
//
// Beyond not crashing: an assignment that reads survives its own round trip
// (assignment_to_json, then read again) unchanged.
#include "fuzz_support.h"
#include "model/assignment_json.h"

namespace {

using pop::Json;

void check_assignment(const Json& item) {
  const auto assignment = pop::assignment_from_json(item);
  if (!assignment) {
    POP_FUZZ_CHECK(assignment.error().code == pop::ErrorCode::kInvalidArgument);
    return;
  }
  const auto again = pop::assignment_from_json(pop::assignment_to_json(*assignment));
  POP_FUZZ_CHECK(again.has_value());
  POP_FUZZ_CHECK(again->agenda == assignment->agenda && again->progress == assignment->progress &&
                 again->epoch == assignment->epoch && again->report_key == assignment->report_key &&
                 again->kubernetes_namespace == assignment->kubernetes_namespace);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // As http_client::json_result parses every answer.
  const Json answer = Json::parse(pop::fuzz::as_text(data, size), nullptr, false);
  if (answer.is_discarded()) return 0;
  check_assignment(answer);
  if (!answer.is_object()) return 0;
  const auto agendas = answer.find("agendas");
  if (agendas == answer.end() || !agendas->is_array()) return 0;
  for (const Json& item : *agendas) check_assignment(item);
  return 0;
}
