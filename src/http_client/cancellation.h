// Aborting a Client's requests from another thread (Ctrl-C in the CLI, shutdown of the
// puller), without racing against the client's own thread or outliving it.
#pragma once

#include <memory>

namespace pop::http_client {

namespace detail {
class CancelState;
}

// A copyable handle on one Client's cancellation flag. Thread-safe: any thread may call any
// method at any time, also after the Client is destroyed (cancel() then has nothing to
// wake). Obtained from Client::canceller().
class Canceller {
 public:
  // Makes the client's in-flight request, and every later one until reset(), fail promptly
  // with kUnavailable ("... cancelled"); a retry back-off in progress is cut short too. The
  // flag is sticky so that a cancel arriving just before a request starts is not lost.
  void cancel() const;
  // Lets the client send requests again.
  void reset() const;
  bool cancelled() const;

 private:
  friend class Client;
  explicit Canceller(std::shared_ptr<detail::CancelState> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::CancelState> state_;
};

}  // namespace pop::http_client
