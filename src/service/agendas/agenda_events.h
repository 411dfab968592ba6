// What the agenda service tells the event journal (service/events/): one call per change it
// made, each after the store accepted the change, never for a write that failed. Turns the
// service's records into bounded events; a progress report becomes the operations whose
// state or attempt changed (compared with the last report seen, service/events/
// last_seen_progress.h) and the agenda's percentage when it moved.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "model/agenda_progress.h"
#include "service/events/event_journal.h"
#include "service/events/last_seen_progress.h"
#include "store/store.h"

namespace pop::service {

class AgendaEvents {
 public:
  // Borrows both; they must outlive this object. `store` answers who an agenda belongs to
  // when it is not remembered (after a restart, or once forgotten to stay within
  // `max_remembered_operations`).
  AgendaEvents(EventJournal& journal, store::Store& store, std::size_t max_remembered_operations);

  static AgendaIdentity identity_of(const store::AgendaRecord& record);
  // Remembered, else read from the store; nothing when the agenda is gone.
  std::optional<AgendaIdentity> identity(std::string_view agenda_id);

  void submitted(const store::AgendaRecord& record, bool held, WallTime now);
  // `progress`: what it starts executing with (its operations are not changes).
  void leased(const AgendaIdentity& agenda, const store::LeaseAcquisition& lease,
              std::uint64_t epoch, SeenProgress progress);
  void reported(const AgendaIdentity& agenda, const AgendaProgress& progress,
                const store::ProgressRecord& stored, WallTime now);
  // Its puller reported it complete: `requeued` when it failed with attempts left and waits
  // again.
  void completed(const AgendaIdentity& agenda, const AgendaProgress& progress,
                 const store::ProgressRecord& stored, bool requeued, int attempts_completed,
                 WallTime now);
  void cancelled(const AgendaIdentity& agenda, const store::ProgressRecord& written, WallTime now);
  void rerun(const AgendaIdentity& agenda, bool held, WallTime now);
  void deleted(const AgendaIdentity& agenda, WallTime now);
  void lease_lost(const AgendaIdentity& agenda, const store::LeaseRecord& lease, WallTime now);

 private:
  void publish(EventType type, const AgendaIdentity& agenda, WallTime now, Json data = {});
  // The operation.state events and the agenda.progress event of a new progress.
  void publish_changes(const AgendaIdentity& agenda, const AgendaProgress& progress,
                       const store::ProgressRecord& stored, WallTime now);

  EventJournal& journal_;
  store::Store& store_;
  LastSeenProgress last_seen_;
};

}  // namespace pop::service
