// How a handler answers a request: at once or later, from any thread, with one complete
// response or with a stream of chunks (long-polls and watches), and how it learns that the
// answer is no longer wanted (the client went away, or the server is stopping).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "http/http_types.h"

namespace pop::http {

namespace detail {
class Exchange;
}

enum class CancelReason {
  kClientGone,      // the peer closed or reset the connection
  kServerStopping,  // Server::stop() began; answer now (e.g. an empty long-poll result)
};

// A handle on one request's response. Copies share the same response. Thread-safe: every
// method may be called from any thread, including from inside the handler and from an
// on_cancel callback.
//
// Exactly one of send() or start_stream() takes effect; a stream then takes write() calls
// and one end(). When the last copy is destroyed without either, the client gets a 500 in
// the error shape (a handler bug must not hang a connection); a started stream is ended.
class Responder {
 public:
  // Created by the server (or a test) around an exchange; handlers receive one.
  explicit Responder(std::shared_ptr<detail::Exchange> exchange);

  const std::string& correlation_id() const;

  // Sends a complete response. False when a response was already sent or started, or the
  // connection is gone; the response is then dropped.
  bool send(HttpResponse response);

  // Begins a streamed response: the status and headers go out at once, then each write()
  // as it comes (chunked transfer encoding; on HTTP/1.0 the body ends with the connection).
  // False as send() is.
  bool start_stream(int status, Headers headers = {});
  // Queues `chunk` (empty chunks are ignored). False when the stream is not open: not
  // started, ended, the connection is gone, or the client is reading so slowly that the
  // server's per-stream buffer limit was exceeded (the connection is then closed, and the
  // client must re-request). A false return is final: stop producing.
  bool write(std::string chunk);
  // Ends the stream cleanly. False when it was not open.
  bool end();

  // Why the response is no longer wanted, once it is not.
  std::optional<CancelReason> cancel_reason() const;
  bool cancelled() const { return cancel_reason().has_value(); }
  // Registers the one callback (a later call replaces it) run when the request is
  // cancelled, at most once and never after the response is complete. Runs on a server
  // thread (or at once in the caller when already cancelled); it must be quick and must
  // not block on the server. It may call send()/write()/end(); for kServerStopping during
  // the grace period they still reach the client, but once the connection is gone (the
  // client left, or the grace ran out) they return false. The callback is released when
  // the exchange ends, so capturing this Responder in it does not leak.
  void on_cancel(std::function<void(CancelReason)> callback);

 private:
  struct Owner;
  std::shared_ptr<Owner> owner_;
};

// Answers one request. Called on one of the server's handler threads, never the event loop:
// a handler may block for a short wait (a durable write waiting for its sync), but each one
// blocked holds a thread (ServerOptions::handler_threads); long waits (long polls, watches)
// belong on another thread or event, completing `responder` from there. An exception
// escaping the handler becomes a 500 "internal error" (its text is logged, not sent).
using Handler = std::function<void(HttpRequest request, Responder responder)>;

}  // namespace pop::http
