#include "puller/failed_progress.h"

#include "model/agenda_progress.h"

namespace pop::puller {

Json failed_progress(const Assignment& assignment, const std::string& message, WallTime now) {
  auto progress = agenda_progress_from_json(assignment.progress);
  AgendaProgress out = progress ? *progress : AgendaProgress{};
  out.state = ProcessingState::kComplete;
  out.outcome = AgendaOutcome::kFailed;
  out.completed_time = now;
  out.diagnostic_events.push_back({message, *out.completed_time, ""});
  return agenda_progress_to_json(out);
}

}  // namespace pop::puller
