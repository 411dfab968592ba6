// The outbound HTTP(S) client of the CLI, the puller and the Docker runner. Built on
// libcurl, whose types stay out of this header.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

#include "http_client/cancellation.h"
#include "http_client/client_options.h"
#include "http_client/message.h"
#include "http_client/retry_policy.h"
#include "util/result.h"

namespace pop::http_client {

// Called with each piece of a 2xx response body as it arrives; return false to stop
// reading (the connection is then closed, and the call still succeeds).
using ChunkHandler = std::function<bool(std::string_view chunk)>;

struct StreamOptions {
  // Fails the stream when no byte arrives for this long; zero waits forever. Watches and
  // log follows should expect the server's keep-alive lines well within it.
  std::chrono::milliseconds idle_timeout{0};
};

// Talks to one server (or one Unix socket) over one reused connection, so a sequence of
// requests pays for TCP and TLS set-up once.
//
// Thread-safety: a Client is used by one thread at a time; threads that talk to the same
// server concurrently create a Client each (creation is cheap). The only exception is
// cancellation, through canceller(), which any thread may use at any time.
//
// A moved-from Client may only be destroyed or assigned to.
//
// Errors never throw: every failure is a pop::Error. Transport failures are kUnavailable
// with a message naming the URL and libcurl's reason ("cannot reach https://pop:8443: SSL
// certificate problem: unable to get local issuer certificate"). A response with a non-2xx
// status is not an error at this level: it is returned as a Response (see json_request.h
// and error_mapping.h for the mapping to pop::Error).
class Client {
 public:
  // Validates `options`: base_url must be http:// or https:// with a host (or empty with
  // unix_socket), TLS files must be readable, each of CA, client certificate and client key
  // given at most once (file or PEM), a certificate only with its key, the bearer token and
  // user agent must be valid header values. kInvalidArgument otherwise. PEM data is checked
  // when a connection uses it (a bad one fails the request as kUnavailable).
  static Result<Client> create(ClientOptions options);

  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  // Closes the connection; pending cancellers become harmless.
  ~Client();

  // Sends `request` once and reads the whole response (up to max_response_bytes, else
  // kTooLarge). kInvalidArgument for a malformed method, target or header.
  Result<Response> send(const Request& request);

  // As send(), repeating the request while `policy` allows (see retry_policy.h) when it
  // could not connect or got 429, 502, 503 or 504, sleeping between attempts (a
  // cancel() ends the sleep). A request that is not repeatable (POST or PATCH without an
  // Idempotency-Key) is sent exactly once. Returns the last attempt's outcome.
  Result<Response> send(const Request& request, const RetryPolicy& policy);

  // Shorthand for send() of a Request built from the arguments.
  Result<Response> request(std::string_view method, std::string_view target,
                           std::string_view body = {}, const Headers& headers = {});

  // Sends `request` and hands a 2xx body to `on_chunk` as it arrives (watches, long polls,
  // log follows); the returned Response has an empty body then. A non-2xx body is not
  // passed to on_chunk but returned in the Response (its first MiB), for error_from_response.
  // No total time limit applies unless request.timeout sets one. An exception thrown by
  // on_chunk ends the stream with kInternal.
  Result<Response> stream(const Request& request, const ChunkHandler& on_chunk,
                          StreamOptions options = {});

  // Makes the in-flight request (and later ones until the canceller's reset()) fail with
  // kUnavailable. Thread-safe; equivalent to canceller().cancel().
  void cancel();
  // A handle other threads keep to cancel this client's requests; stays valid after the
  // client is destroyed or moved.
  Canceller canceller() const;

  const ClientOptions& options() const;

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pop::http_client
