// Rerunning a completed agenda with POP's parameters: which operations go back to pending
// and which keep their results. Pure functions over the agenda and its progress, so every
// mode is tested without a server.
#pragma once

#include <string>
#include <vector>

#include "agenda/agenda.h"
#include "model/agenda_progress.h"
#include "util/result.h"

namespace pop::service {

struct RerunRequest {
  enum class Mode {
    kResetAll,           // every operation runs again (POP's default)
    kContinue,           // operations that succeeded keep their results; the rest run again
    kOperationsToReset,  // the named operations and everything that depends on them run
                         // again, as do those that did not succeed; the rest keep results
  };
  Mode mode = Mode::kResetAll;
  std::vector<std::string> operations_to_reset;  // for kOperationsToReset
  // Reset the progress but do not queue the agenda: it waits "held" until a rerun without
  // this flag releases it.
  bool skip_execution = false;
};

// Reads {"resetAll": true} | {"continue": true} | {"operationsToReset": "a,b" or ["a","b"]}
// plus an optional {"skipExecution": true}; an empty object is resetAll. POP's own form,
// {"params": ["operationsToReset=a,b", "continue", "skipExecution"]}, is accepted too.
// kInvalidArgument naming the field for anything else, or for more than one mode.
Result<RerunRequest> rerun_request_from_json(const Json& body);

// The progress the rerun starts from: WAITING, no outcome, reset operations pending with no
// result, attempts and times, kept ones unchanged. kInvalidArgument when an operation to reset
// is not in the agenda (named in the message).
Result<AgendaProgress> reset_for_rerun(const Agenda& agenda, AgendaProgress progress,
                                       const RerunRequest& request);

}  // namespace pop::service
