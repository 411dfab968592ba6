#include "api/event_streams.h"

#include <algorithm>
#include <atomic>

#include "access/access_policy.h"

namespace pop::api {
namespace {

// Events read for one stream in one pass, and the most text written to it at once: a stream
// far behind is fed over several passes, so the others are not kept waiting.
constexpr std::size_t kEventsPerRead = 256;
constexpr std::size_t kChunkBytes = 256 * 1024;
// What an EventSource waits before it reconnects.
constexpr const char* kRetryMilliseconds = "2000";

std::string id_line(const std::string& journal_id, std::uint64_t sequence) {
  return "id: " + service::format_event_position({journal_id, sequence}) + "\n";
}

}  // namespace

struct EventStreams::Stream {
  Stream(auth::Principal who, service::EventFilter what, http::Responder to)
      : caller(std::move(who)), filter(std::move(what)), responder(std::move(to)) {}

  auth::Principal caller;
  service::EventFilter filter;
  http::Responder responder;
  std::uint64_t position = 0;      // the last event read; the dispatcher's alone once registered
  Clock::SteadyTime opened_at;     // the reconnect it owes once max_age has passed
  std::atomic<bool> ready{false};  // its response started: it may be fed
  std::atomic<bool> closed{false};
};

EventStreams::EventStreams(service::EventJournal& journal, EventStreamLimits limits,
                           const Clock& clock)
    : journal_(journal), limits_(limits), clock_(clock) {
  listener_ = journal_.add_listener([this] {
    {
      // With no stream open, no thread is woken for an event: a server nobody watches pays
      // a switch to the dispatcher for every change otherwise (bench_server part 4). A
      // stream opened later is fed from its position by the wake its open() makes.
      std::lock_guard lock(mutex_);
      if (streams_.empty()) return;
      work_ = true;
    }
    wake_.notify_one();
  });
  dispatcher_ = std::thread([this] { dispatch(); });
}

EventStreams::~EventStreams() { stop(); }

Result<void> EventStreams::open(Request request, http::Responder responder) {
  auto stream =
      std::make_shared<Stream>(std::move(request.caller), std::move(request.filter), responder);
  stream->opened_at = clock_.steady_now();
  // Without the streams' lock: the journal calls its listener, which takes that lock, under
  // its own. Every event after the position stays readable, or reads as a gap (a reset).
  std::string opening = std::string("retry: ") + kRetryMilliseconds + "\n";
  const std::optional<std::uint64_t> resumed =
      request.last_seen ? journal_.resume_after(*request.last_seen) : std::nullopt;
  stream->position = resumed ? *resumed : journal_.last_sequence();
  if (request.last_seen && !resumed) {
    opening += "event: reset\n" + id_line(journal_.id(), stream->position) +
               "data: {\"reason\":\"the events after Last-Event-ID are no longer kept (a "
               "restart, another server, or too long ago): list again\"}\n\n";
  } else {
    opening += id_line(journal_.id(), stream->position) + "\n";
  }
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return fail(ErrorCode::kUnavailable, "the server is stopping");
    if (streams_.size() >= limits_.max_streams) {
      return fail(
          ErrorCode::kUnavailable,
          std::to_string(limits_.max_streams) +
              " event streams are open, as many as this server keeps (--max-event-streams)");
    }
    std::size_t& mine = per_caller_[stream->caller.name];
    if (mine >= limits_.max_streams_per_caller) {
      return fail(ErrorCode::kResourceExhausted,
                  "the caller has " + std::to_string(mine) +
                      " event streams open, as many as one caller may "
                      "(--max-event-streams-per-caller); one stream carries every agenda's events");
    }
    ++mine;
    streams_.push_back(stream);  // counted now, fed once ready
  }
  std::weak_ptr<Stream> weak = stream;
  responder.on_cancel([this, weak](http::CancelReason reason) {
    auto alive = weak.lock();
    if (!alive) return;
    // A stopping server ends the stream now rather than after the HTTP server's grace.
    if (reason == http::CancelReason::kServerStopping) alive->responder.end();
    alive->closed = true;
    wake();
  });
  http::Headers headers;
  headers.set("Content-Type", "text/event-stream");
  headers.set("Cache-Control", "no-cache");
  headers.set("X-Accel-Buffering", "no");  // nginx: pass each event on at once
  if (!responder.start_stream(200, std::move(headers)) || !responder.write(std::move(opening)))
    stream->closed = true;
  stream->ready = true;
  {
    std::lock_guard lock(mutex_);
    // stop() may have ended the streams before this one had started.
    if (stopping_) responder.end();
  }
  wake();  // for what was published since the position was taken
  return {};
}

void EventStreams::wake() {
  {
    std::lock_guard lock(mutex_);
    work_ = true;
  }
  wake_.notify_one();
}

bool EventStreams::feed(Stream& stream, bool keep_alive_due) {
  if (stream.closed) return false;
  if (!stream.ready) return true;
  if (keep_alive_due && clock_.steady_now() - stream.opened_at >= limits_.max_age) {
    stream.responder.end();
    return false;
  }
  std::string chunk;
  bool behind = true;
  while (behind && chunk.size() < kChunkBytes) {
    service::EventJournal::Batch batch = journal_.read_after(stream.position, kEventsPerRead);
    behind = batch.entries.size() == kEventsPerRead;
    if (batch.gap) {
      // Fell out of the window while being fed: the client must list again.
      stream.position = batch.entries.front()->sequence - 1;
      chunk += "event: reset\n" + id_line(journal_.id(), stream.position) +
               "data: {\"reason\":\"this client fell behind the events the server keeps: list "
               "again\"}\n\n";
    }
    for (const auto& entry : batch.entries) {
      stream.position = entry->sequence;
      const service::AgendaEvent& event = entry->event;
      if (!stream.filter.matches(event)) continue;
      if (!access::sees_agenda(stream.caller,
                               {event.agenda.customer_id, event.agenda.resource_pool_id}))
        continue;
      chunk += id_line(journal_.id(), entry->sequence);
      chunk += "event: ";
      chunk += service::event_type_name(event.type);
      chunk += "\ndata: ";
      chunk += entry->json;
      chunk += "\n\n";
    }
  }
  if (chunk.empty() && keep_alive_due)
    chunk = ": keep-alive\n" + id_line(journal_.id(), stream.position) + "\n";
  if (!chunk.empty() && !stream.responder.write(std::move(chunk))) stream.closed = true;
  if (behind && !stream.closed) wake();  // another pass for the rest
  return !stream.closed;
}

void EventStreams::dispatch() {
  std::unique_lock lock(mutex_);
  auto next_keep_alive = clock_.steady_now() + limits_.keep_alive;
  for (;;) {
    clock_.wait_until(wake_, lock, next_keep_alive, [&] { return stopping_ || work_; });
    if (stopping_) return;
    work_ = false;
    const bool keep_alive_due = clock_.steady_now() >= next_keep_alive;
    if (keep_alive_due) next_keep_alive = clock_.steady_now() + limits_.keep_alive;
    const std::vector<std::shared_ptr<Stream>> streams = streams_;
    lock.unlock();
    std::vector<std::shared_ptr<Stream>> ended;
    for (const auto& stream : streams) {
      if (!feed(*stream, keep_alive_due)) ended.push_back(stream);
    }
    lock.lock();
    for (const auto& stream : ended) {
      // A cut-off stream (write refused) has its connection closed by the HTTP server; one
      // whose client left needs nothing more.
      streams_.erase(std::remove(streams_.begin(), streams_.end(), stream), streams_.end());
      if (--per_caller_[stream->caller.name] == 0) per_caller_.erase(stream->caller.name);
    }
  }
}

void EventStreams::stop() {
  journal_.remove_listener(listener_);
  std::vector<std::shared_ptr<Stream>> streams;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !dispatcher_.joinable()) return;
    stopping_ = true;
    streams.swap(streams_);
    per_caller_.clear();
  }
  wake_.notify_one();
  if (dispatcher_.joinable()) dispatcher_.join();
  for (const auto& stream : streams) stream->responder.end();
}

std::size_t EventStreams::open_streams() const {
  std::lock_guard lock(mutex_);
  return streams_.size();
}

}  // namespace pop::api
