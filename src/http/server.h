// The HTTP/1.1 server: accepts connections, reads requests within limits, hands each to a
// Handler and writes what the handler answers (at once, later, or as a stream). Generic:
// it knows nothing of POP's endpoints. The networking library stays inside server.cc.
//
// A request is decided on from its head before its body is read (Admitter, admission.h):
// a refused request (unknown path, unauthenticated) is answered without its body being
// read, and an admitted one may carry only its route's body. Bodies being read share one
// memory budget across all connections.
//
// Every response carries X-Correlation-Id (the client's when sane, else generated), and
// every failure the server detects itself uses the error shape of error_response.h:
// malformed HTTP 400 (connection closed), a head breaking RFC 9112's rules 400 or 501
// (request_head_rules.h), body over its limit 413 and header over the limit 431 (both
// answered before the rest is read, connection closed), no memory left for a body 503 with
// Retry-After (connection closed), unknown path 404 and wrong method 405 (Router), handler
// exception 500. A connection over max_connections, or over max_connections_per_address
// from its client's address, is answered 503 with Retry-After at once and closed (over TLS:
// closed).
//
// Every socket the server opens is close-on-exec from its creation, so a program another
// thread starts never inherits one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/admission.h"
#include "http/responder.h"
#include "util/logger.h"
#include "util/result.h"

namespace pop::http {

// Serving HTTPS instead of HTTP on the same port.
struct TlsOptions {
  std::string certificate_chain_file;  // PEM: the server certificate, then intermediates
  std::string private_key_file;        // PEM, unencrypted
};

// What a server answered one request (ServerOptions::on_response).
struct ResponseRecord {
  std::string method;
  std::string route;  // Admission::route: the route's pattern, empty when no route took it
  std::string path;   // the request target without its query, as the client sent it
  std::string remote_address;
  std::string correlation_id;
  int status = 0;
  // From the request's head being read to the answer's head being written (a stream's
  // head: not the stream's length).
  std::chrono::duration<double> duration{};
};
using ResponseObserver = std::function<void(const ResponseRecord&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";  // an address or a resolvable name
  std::uint16_t port = 8080;       // 0: any free port, see Server::port()
  int threads = 2;                 // event-loop threads: network I/O only
  // Threads that run handlers, started as concurrent requests need them. A handler may
  // block one (a durable write waiting for its sync); when all are blocked, further
  // requests wait for one. Requests that wait together can share a group commit, so this
  // also bounds how many writes one commit carries.
  int handler_threads = 64;

  std::size_t max_header_bytes = 16 * 1024;  // request line + header fields
  // The most body any request may declare (after de-chunking); with an Admitter, each
  // request may carry at most the smaller of this and its Admission's limit. A server built
  // from a Handler applies this one limit to every request.
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  // Memory for the bodies of requests being read or handled, across every connection: a
  // body is counted as its bytes arrive, and a request whose body would pass the budget
  // is answered 503 with Retry-After and its connection closed.
  std::size_t max_body_memory_bytes = 256u << 20;
  std::size_t max_connections = 10000;  // beyond this, new ones get 503
  // Connections from one client address (IPv4, or IPv6 as sent); beyond this, new ones get
  // 503. 0: no cap. Clients behind one NAT or proxy share an address.
  std::size_t max_connections_per_address = 256;
  std::size_t max_stream_buffer_bytes = 4 << 20;  // unsent data per streamed response

  // From accepting a connection (and its TLS handshake) to the first byte of its first
  // request: sockets opened and left silent must not hold a slot for long.
  std::chrono::milliseconds first_request_timeout{5'000};
  // From the first byte of a request to its last (slow senders are cut off here).
  std::chrono::milliseconds request_timeout{30'000};
  // Between requests on a keep-alive connection.
  std::chrono::milliseconds idle_timeout{60'000};
  // For each write to the client (a client that stops reading is cut off here).
  std::chrono::milliseconds write_timeout{30'000};
  // How long stop() lets in-flight requests finish before closing their connections.
  std::chrono::milliseconds stop_grace{10'000};

  std::optional<TlsOptions> tls;  // serve HTTPS when set
  // Told of every answer as its head is written (metrics, access logs), on an event-loop
  // thread: it must be quick and must not block.
  ResponseObserver on_response;

  // Hears of every server-side fault as an error (handler exceptions, accept failures, at
  // most one accept failure line per 10 s), with the correlation id when there is one; text
  // from requests and handlers is in it as it came (the logger escapes what it writes).
  // Called from server threads, concurrently. Borrowed.
  Logger* logger = &null_logger();
};

class Server {
 public:
  // `admit` decides on every request from its head (typically Router::to_admitter()); it
  // and the handlers it returns are called on handler threads, concurrently, and must be
  // thread-safe.
  Server(ServerOptions options, Admitter admit);
  // Every request goes to `handler`, with a body of up to options.max_body_bytes.
  Server(ServerOptions options, Handler handler);
  // Stops, as stop() does.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the threads; returns once the port accepts connections.
  // Errors: kInvalidArgument for unusable options (host, thread counts, TLS files),
  // kUnavailable when the address cannot be bound (in use, not local), kConflict when
  // called twice or after stop().
  Result<void> start();

  // The bound port (useful with port 0), or 0 before a successful start(). Thread-safe.
  std::uint16_t port() const;

  // Bytes of request bodies being read that the body memory budget holds now (at most
  // options.max_body_memory_bytes), for tests and monitoring. Thread-safe.
  std::size_t body_memory_reserved() const;

  // Stops accepting; closes idle connections at once; lets requests being read or
  // handled finish (their responders see CancelReason::kServerStopping) for up to
  // stop_grace, then closes whatever remains; waits for handler calls still running to
  // return; joins the threads. Responders that outlive
  // the server accept calls and do nothing. Idempotent; blocks until done.
  // REQUIRES: not called from a handler or callback running on a server thread.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pop::http
