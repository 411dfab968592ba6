#include "service/events/last_seen_progress.h"

#include <cmath>

namespace pop::service {

SeenProgress seen_of(const AgendaProgress& progress) {
  SeenProgress seen;
  seen.states.reserve(progress.operations.size());
  seen.attempts.reserve(progress.operations.size());
  for (const OperationProgress& operation : progress.operations) {
    seen.states.push_back(operation.state);
    seen.attempts.push_back(operation.attempt_count);
  }
  seen.percent = progress.percent_complete;
  return seen;
}

ProgressChanges progress_changes(const SeenProgress& before, const AgendaProgress& after) {
  ProgressChanges changes;
  for (std::size_t i = 0; i < after.operations.size(); ++i) {
    const OperationProgress& now = after.operations[i];
    const bool known = i < before.states.size();
    const OperationState was = known ? before.states[i] : OperationState::kPending;
    const int attempts_before = known ? before.attempts[i] : 0;
    if (now.state == was && now.attempt_count == attempts_before) continue;
    changes.operations.push_back(
        {now.operation, now.state, known ? std::optional(was) : std::nullopt, now.attempt_count});
  }
  // Whole percents: a handler reporting every tenth of a percent must not flood the stream.
  changes.percent_moved = std::floor(after.percent_complete) != std::floor(before.percent);
  return changes;
}

LastSeenProgress::LastSeenProgress(std::size_t max_operations) : max_operations_(max_operations) {}

std::optional<AgendaIdentity> LastSeenProgress::identity(const std::string& agenda_id) const {
  std::lock_guard lock(mutex_);
  auto it = seen_.find(agenda_id);
  if (it == seen_.end()) return std::nullopt;
  return it->second.identity;
}

ProgressChanges LastSeenProgress::update(const AgendaIdentity& identity,
                                         const AgendaProgress& progress,
                                         const AgendaProgress* stored) {
  SeenProgress now = seen_of(progress);
  std::lock_guard lock(mutex_);
  auto it = seen_.find(identity.agenda_id);
  const SeenProgress before = it != seen_.end()
                                  ? std::move(it->second.progress)
                                  : (stored != nullptr ? seen_of(*stored) : SeenProgress{});
  if (it != seen_.end()) erase(it);
  ProgressChanges changes = progress_changes(before, progress);
  remember_locked(identity, std::move(now));
  return changes;
}

void LastSeenProgress::remember(const AgendaIdentity& identity, SeenProgress progress) {
  std::lock_guard lock(mutex_);
  if (auto it = seen_.find(identity.agenda_id); it != seen_.end()) erase(it);
  remember_locked(identity, std::move(progress));
}

void LastSeenProgress::remember_locked(const AgendaIdentity& identity, SeenProgress progress) {
  // An agenda larger than the whole budget is not remembered at all.
  if (progress.states.size() > max_operations_) return;
  while (operations_ + progress.states.size() > max_operations_ && !by_age_.empty())
    erase(seen_.find(by_age_.front()));
  operations_ += progress.states.size();
  by_age_.push_back(identity.agenda_id);
  seen_.emplace(identity.agenda_id, Seen{identity, std::move(progress), std::prev(by_age_.end())});
}

void LastSeenProgress::forget(const std::string& agenda_id) {
  std::lock_guard lock(mutex_);
  if (auto it = seen_.find(agenda_id); it != seen_.end()) erase(it);
}

void LastSeenProgress::erase(std::unordered_map<std::string, Seen>::iterator it) {
  operations_ -= it->second.progress.states.size();
  by_age_.erase(it->second.age);
  seen_.erase(it);
}

}  // namespace pop::service
