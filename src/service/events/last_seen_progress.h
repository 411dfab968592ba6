// What the event journal last saw of each agenda that is executing: who it belongs to, the
// state and attempt number of each operation and its percentage. A progress report carries
// the whole progress document; comparing it with this tells which operations changed, so
// that the stream carries changes rather than documents, and a report needs no extra store
// read to say whose agenda it is.
//
// Bounded: at most `max_operations` operations are remembered across all agendas; beyond
// that the agendas seen longest ago are forgotten (their next report is compared with the
// stored progress instead, and their identity read from the store).
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/agenda_progress.h"
#include "service/events/agenda_event.h"

namespace pop::service {

// One operation whose state or attempt number differs from what was seen before.
struct OperationChange {
  std::string operation;
  OperationState state = OperationState::kPending;
  std::optional<OperationState> previous;  // nothing: not seen before
  int attempt = 0;
};

struct ProgressChanges {
  std::vector<OperationChange> operations;
  bool percent_moved = false;  // by a whole percent or more, or to 100
};

// The little of a progress document that changes are judged by; operations by position
// (a progress lists them in agenda order).
struct SeenProgress {
  std::vector<OperationState> states;
  std::vector<int> attempts;
  double percent = 0;
};
SeenProgress seen_of(const AgendaProgress& progress);

// The changes from `before` to `after`; an operation `before` does not have counts as
// pending with no attempt.
ProgressChanges progress_changes(const SeenProgress& before, const AgendaProgress& after);

class LastSeenProgress {
 public:
  explicit LastSeenProgress(std::size_t max_operations);

  // The agenda's identity, when remembered.
  std::optional<AgendaIdentity> identity(const std::string& agenda_id) const;

  // Remembers `progress` as the agenda's last state and returns what changed since the last
  // one remembered, or since `stored` when it is not remembered (nothing: since a fresh
  // agenda).
  ProgressChanges update(const AgendaIdentity& identity, const AgendaProgress& progress,
                         const AgendaProgress* stored);
  // Remembers `progress` as the agenda's last state, whatever was remembered before.
  void remember(const AgendaIdentity& identity, SeenProgress progress);

  void forget(const std::string& agenda_id);

 private:
  struct Seen {
    AgendaIdentity identity;
    SeenProgress progress;
    std::list<std::string>::iterator age;  // its place in by_age_
  };
  // REQUIRES: mutex_ held, the agenda not remembered.
  void remember_locked(const AgendaIdentity& identity, SeenProgress progress);
  // REQUIRES: mutex_ held.
  void erase(std::unordered_map<std::string, Seen>::iterator it);

  const std::size_t max_operations_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Seen> seen_;  // GUARDED_BY(mutex_)
  std::list<std::string> by_age_;               // least recently updated first; GUARDED_BY(mutex_)
  std::size_t operations_ = 0;                  // remembered in all; GUARDED_BY(mutex_)
};

}  // namespace pop::service
