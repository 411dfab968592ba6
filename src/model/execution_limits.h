// How large what an executor builds may grow (docs/agenda-format.md, "Limits"): a payload
// once its references are resolved, each output it keeps, and all outputs of the agenda
// together, which are the bulk of its progress document. Each is checked as the value is
// built or taken, and a refusal fails the operation concerned, not the executor.
#pragma once

#include "agenda/agenda_validator.h"
#include "model/output_limits.h"
#include "util/json_limits.h"
#include "util/json_size.h"

namespace pop {

struct ExecutionLimits {
  // As for a submitted payload: resolving references cannot make it larger.
  JsonSize payload{AgendaLimits{}.max_payload_bytes, AgendaLimits{}.max_payload_values};
  // As for an output from any source (model/output_limits.h).
  JsonSize output{kOutputLimits.max_bytes, kOutputLimits.max_values};
  JsonSize outputs{16u << 20, 1'000'000};
};

// What a progress document read back may hold (a lease's report, `pop run --resume`): the
// outputs within ExecutionLimits::outputs, besides each operation's state and events; the
// depth covers an output's own nesting plus the document's.
inline constexpr JsonLimits kProgressDocumentLimits{
    .max_bytes = 64u << 20, .max_depth = 160, .max_values = 2'000'000};

}  // namespace pop
