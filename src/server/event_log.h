// The server's log of what happens to agendas (docs/observability.md, "Server logs"): every
// event of the journal logged once, from a thread of its own so that the write path that
// published it does no I/O for it. Agenda and lease changes (submitted, leased, requeued,
// completed, cancelled, rerun, deleted, lease lost) at info; an operation's state and the
// agenda's progress, which come with every report, at debug. Each with the agenda's id,
// customer, pool and insight, and the event's details as one JSON field (`details`).
//
// Thread-safety: construct and destroy on one thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "service/events/event_journal.h"
#include "util/logger.h"

namespace pop::server {

class EventLog {
 public:
  // Starts following `journal` from its next event. Borrows both, which must outlive it.
  EventLog(service::EventJournal& journal, Logger& logger);
  // Logs what was published before, then stops.
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

 private:
  void run();
  // Logs what the journal holds after `position_`; false when there was nothing.
  bool log_next();

  service::EventJournal& journal_;
  Logger& logger_;
  std::uint64_t position_;  // the sequence of the last event logged; the thread's
  std::uint64_t listener_ = 0;

  std::mutex mutex_;
  std::condition_variable changed_;
  bool published_ = false;  // GUARDED_BY(mutex_)
  bool stopping_ = false;   // GUARDED_BY(mutex_)
  std::thread thread_;      // last: starts once the rest exists
};

}  // namespace pop::server
