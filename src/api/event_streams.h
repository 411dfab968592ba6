// The open event streams (GET /v1/events) and the one thread that feeds them all from the
// event journal: a stream is an entry here, not a thread, so a thousand clients cost a
// thousand small records and their connections' buffers.
//
// Each stream has a position in the journal. The dispatcher, woken by every publish, reads
// each stream's next events, keeps those its filter and its caller's right to see the agenda
// (access::sees_agenda) let through, and writes them as one chunk; the position moves past
// every event read, shown or not. Because a stream's first position is taken from the
// journal when it opens, and the journal keeps every event after it, the replay of what a
// reconnecting client missed and the live events that follow are one sequence: no gap, no
// duplicate.
//
// A stream that cannot keep up is cut off: its client's unread data reached the HTTP
// server's per-stream buffer limit (http::ServerOptions::max_stream_buffer_bytes), or its
// position fell out of the journal (it then gets a reset, as a client resuming too late
// does). Every `keep_alive` each stream gets a comment with its position as SSE id, so
// proxies see traffic and a client whose filter let nothing through for a while still
// resumes from where the journal is.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "auth/principal.h"
#include "http/responder.h"
#include "service/events/event_filter.h"
#include "service/events/event_journal.h"
#include "util/clock.h"
#include "util/result.h"

namespace pop::api {

struct EventStreamLimits {
  std::size_t max_streams = 2000;           // open at once, of all callers
  std::size_t max_streams_per_caller = 50;  // ... of one principal
  std::chrono::milliseconds keep_alive{15'000};
  // A stream older than this is ended at its next keep-alive; its client reconnects with
  // Last-Event-ID and loses nothing. Its credential is checked at each connect only, so this
  // bounds how long a revoked or expired one keeps seeing events.
  std::chrono::milliseconds max_age{std::chrono::minutes(10)};
};

class EventStreams {
 public:
  // Starts the dispatcher. `journal` and `clock` are borrowed and must outlive this object.
  EventStreams(service::EventJournal& journal, EventStreamLimits limits,
               const Clock& clock = system_clock());
  // Stops, as stop() does.
  ~EventStreams();
  EventStreams(const EventStreams&) = delete;
  EventStreams& operator=(const EventStreams&) = delete;

  struct Request {
    auth::Principal caller;
    service::EventFilter filter;
    // The Last-Event-ID the client sent: its events after it are replayed, or, when it is
    // outside the journal's window, a reset event comes first. Nothing: from now on.
    std::optional<service::EventPosition> last_seen;
  };
  // Starts the response on `responder` and follows the journal from the request's position.
  // Errors, answered by the caller: kUnavailable when max_streams are open or the server is
  // stopping, kResourceExhausted when the caller has max_streams_per_caller open.
  Result<void> open(Request request, http::Responder responder);

  // Ends every stream (each client sees its response end, and reconnects elsewhere or
  // later) and joins the dispatcher; later opens fail. Idempotent.
  void stop();

  std::size_t open_streams() const;

 private:
  struct Stream;
  void dispatch();
  // Makes the dispatcher run a pass.
  void wake();
  // Writes what the stream has not seen yet; false once it is closed.
  bool feed(Stream& stream, bool keep_alive_due);
  void close(const std::shared_ptr<Stream>& stream);

  service::EventJournal& journal_;
  std::uint64_t listener_ = 0;  // the journal's id of wake()
  const EventStreamLimits limits_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // GUARDED_BY(mutex_)
  bool work_ = false;      // something was published, or a stream changed; GUARDED_BY(mutex_)
  std::vector<std::shared_ptr<Stream>> streams_;   // GUARDED_BY(mutex_)
  std::map<std::string, std::size_t> per_caller_;  // GUARDED_BY(mutex_)
  std::thread dispatcher_;
};

}  // namespace pop::api
