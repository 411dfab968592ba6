// Private to http_client: one HTTP exchange on a client's curl handles, from setting the
// options to classifying how it ended.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <functional>
#include <string_view>

#include "http_client/cancel_state.h"
#include "http_client/client_options.h"
#include "http_client/message.h"
#include "util/result.h"

namespace pop::http_client::detail {

using ChunkHandler = std::function<bool(std::string_view)>;

// How far a failed exchange got, which decides whether repeating it is safe.
enum class FailureKind {
  kConnect,    // no request reached the server (refused, DNS, TLS handshake, connect timeout)
  kTimeout,    // the request was sent but the answer did not come in time
  kTransfer,   // the connection broke mid-exchange
  kCancelled,  // Canceller::cancel()
  kLocal,      // this side gave up: response too large, chunk handler threw, libcurl error
};

struct TransferFailure {
  Error error;
  FailureKind kind = FailureKind::kLocal;
};

using TransferResult = tl::expected<Response, TransferFailure>;

struct TransferSetup {
  CURL* easy = nullptr;    // reset and reused; its connection cache keeps connections alive
  CURLM* multi = nullptr;  // drives the easy handle so that cancel() can wake the wait
  const ClientOptions* options = nullptr;
  const CancelState* cancel = nullptr;
};

// Runs `request`, which the client has validated, to its end. With `on_chunk`, a 2xx body is
// handed over piece by piece as it arrives (returning false ends the exchange early, which is
// a success) and `idle_timeout` (when non-zero) fails an exchange quiet for that long.
// REQUIRES: `setup`'s handles are used by no other thread for the duration.
TransferResult perform_transfer(const TransferSetup& setup, const Request& request,
                                const ChunkHandler* on_chunk,
                                std::chrono::milliseconds idle_timeout);

}  // namespace pop::http_client::detail
