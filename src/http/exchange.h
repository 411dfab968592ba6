// Private to the HTTP layer. The state one request's response goes through, shared between
// the handler side (Responder, any thread) and the connection that writes it (its own
// strand). Kept free of the networking library so its rules can be tested directly.
//
// Invariants: at most one of a complete response or a stream head is ever produced;
// chunks and the stream end only follow a stream head; the cancel callback runs at most
// once and never after the exchange completed; nothing is accepted after finish().
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "http/http_types.h"
#include "http/responder.h"

namespace pop::http::detail {

// Guards the hand-over from handler threads into the server's event loop: a handler may
// keep a Responder after the server (and its event loop) is gone. While alive, code run
// through it may post to the loop; kill() waits for such code and disables it for good.
class Lifeline {
 public:
  template <typename Fn>
  void run_if_alive(Fn&& fn) {
    std::shared_lock lock(mu_);
    if (alive_) fn();
  }
  void kill() {
    std::unique_lock lock(mu_);
    alive_ = false;
  }

 private:
  std::shared_mutex mu_;
  bool alive_ = true;
};

// Implemented by the connection: schedules take_output() on the connection's own thread.
// Called with no exchange lock held, from any thread.
class ExchangePort {
 public:
  virtual ~ExchangePort() = default;
  virtual void notify() = 0;
};

// What the handler produced since the connection last looked.
struct ExchangeOutput {
  std::optional<HttpResponse> response;     // a complete response
  std::optional<HttpResponse> stream_head;  // a stream's status and headers (no body)
  std::vector<std::string> chunks;          // stream data, in order
  bool stream_end = false;                  // the stream ended cleanly
  bool abort = false;                       // close the connection without ending the body properly
  bool abandoned = false;       // `response` is the 500 sent for a handler that never answered
  bool handler_failed = false;  // `response` is the 500 sent for a handler that threw
};

class Exchange {
 public:
  // `max_buffered_bytes` bounds stream data queued but not yet written to the socket.
  // With no lifeline (tests), output is only collected by take_output().
  Exchange(std::string correlation_id, std::shared_ptr<Lifeline> lifeline,
           std::weak_ptr<ExchangePort> port, std::size_t max_buffered_bytes);
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  const std::string& correlation_id() const { return correlation_id_; }
  // The route that took the request (Admission::route), set on the handler thread before
  // anything is answered, read by the connection as it writes the answer.
  void set_route(std::string route);
  std::string route() const;

  // Handler side; any thread. Semantics as documented on Responder.
  bool send(HttpResponse response);
  bool start_stream(int status, Headers headers);
  bool write(std::string chunk);
  bool end();
  void abandon();
  std::optional<CancelReason> cancel_reason() const;
  void on_cancel(std::function<void(CancelReason)> callback);

  // Connection side; the connection's thread.
  // Brackets the synchronous handler call: output produced meanwhile needs no notify(),
  // leave_handler() returns true when there is some to take.
  void enter_handler();
  bool leave_handler();
  // The handler threw: a 500 unless a response was already produced, else abort.
  void fail();
  ExchangeOutput take_output();
  // `bytes` of stream data left the buffer (written or discarded).
  void release(std::size_t bytes);
  // Runs the cancel callback unless the response is complete or already cancelled.
  // Returns false when the callback threw (the exception is swallowed).
  bool cancel(CancelReason reason);
  // The connection is done with this exchange after completing it: later handler calls
  // return false and the callback is released.
  void finish();
  // The connection closed before the exchange completed: finishes it, then runs the
  // callback with `reason` (unless already cancelled), so that a callback already sees
  // every Responder call fail. Returns false when the callback threw.
  bool close(CancelReason reason);

 private:
  enum class Phase { kPending, kResponded, kStreaming, kEnded };

  // Marks output ready; true when the caller must notify() after unlocking.
  bool mark_ready_locked();
  bool has_output_locked() const;
  bool cancel_and_maybe_finish(CancelReason reason, bool finish);
  void notify();

  const std::string correlation_id_;
  const std::shared_ptr<Lifeline> lifeline_;
  const std::weak_ptr<ExchangePort> port_;
  const std::size_t max_buffered_bytes_;

  std::string route_;  // guarded by mu_
  mutable std::mutex mu_;
  Phase phase_ = Phase::kPending;
  bool finished_ = false;
  bool aborted_ = false;  // the stream was cut off; it stays open only for cancel()
  bool in_handler_ = false;
  bool notify_pending_ = false;
  std::optional<CancelReason> cancel_reason_;
  std::function<void(CancelReason)> on_cancel_;
  ExchangeOutput output_;
  std::size_t buffered_bytes_ = 0;
};

}  // namespace pop::http::detail
