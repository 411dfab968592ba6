// The last events of this server, in order: a bounded ring in memory that the event stream
// reads from, both to replay what a reconnecting client missed and to follow what happens
// next. Each event gets the next sequence number; with the journal's id, drawn at random
// when the journal is made, it forms the event's position ("<journal>-<sequence>", the SSE
// id). A position from another journal (a restarted server, another replica) or older than
// the ring holds is outside the window: its client must list again.
//
// Publishing costs a serialization and a short lock, never I/O: the services publish on
// their write path, after the store accepted the change.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/events/agenda_event.h"
#include "util/result.h"

namespace pop::service {

// An event as kept: immutable once published, shared by every reader.
struct JournalEntry {
  std::uint64_t sequence = 0;
  AgendaEvent event;
  std::string json;  // event_to_json(event), serialized once for every reader
};

// Where a client stands in a journal's sequence.
struct EventPosition {
  std::string journal_id;
  std::uint64_t sequence = 0;
};
// "<journal>-<sequence>", the SSE id.
std::string format_event_position(const EventPosition& position);
// kInvalidArgument naming the expected form for text that is not one.
Result<EventPosition> parse_event_position(std::string_view text);

class EventJournal {
 public:
  // Keeps the last `capacity` events (at least 1).
  explicit EventJournal(std::size_t capacity);
  EventJournal(const EventJournal&) = delete;
  EventJournal& operator=(const EventJournal&) = delete;

  const std::string& id() const { return id_; }
  std::size_t capacity() const { return capacity_; }

  // Appends the event with the next sequence (dropping the oldest when full) and tells the
  // listener.
  void publish(AgendaEvent event);

  // The sequence of the last event published; 0 before the first.
  std::uint64_t last_sequence() const;

  struct Batch {
    std::vector<std::shared_ptr<const JournalEntry>> entries;  // in sequence order
    // Some events after the asked sequence are no longer kept: `entries` starts later.
    bool gap = false;
  };
  // At most `max` events after `sequence`, oldest first.
  Batch read_after(std::uint64_t sequence, std::size_t max) const;

  // The sequence after which a client that last saw `position` continues: nothing when the
  // position is outside the window (another journal, events after it dropped already, or a
  // sequence not reached yet).
  std::optional<std::uint64_t> resume_after(const EventPosition& position) const;

  // `listener` is called after each publish (on the publisher's thread, under the journal's
  // lock: it must be quick and must not call back into the journal) until removed with the
  // id returned.
  std::uint64_t add_listener(std::function<void()> listener);
  void remove_listener(std::uint64_t id);

 private:
  const std::string id_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<std::shared_ptr<const JournalEntry>> entries_;   // GUARDED_BY(mutex_)
  std::uint64_t last_sequence_ = 0;                           // GUARDED_BY(mutex_)
  std::map<std::uint64_t, std::function<void()>> listeners_;  // GUARDED_BY(mutex_)
  std::uint64_t next_listener_ = 1;                           // GUARDED_BY(mutex_)
};

}  // namespace pop::service
