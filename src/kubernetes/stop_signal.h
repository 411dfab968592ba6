// One "stop now" that ends every wait and request of a Kubernetes client user at once: the
// runner's shutdown ends its watches, rate-limiter waits and retry back-offs together.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>

#include "http_client/cancellation.h"
#include "util/clock.h"

namespace pop::kubernetes {

// Thread-safe; any thread may call any method at any time. Stopping is final.
class StopSignal {
 public:
  StopSignal() = default;
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  // Ends every wait_for() in progress and cancels every attached request; later waits return
  // at once and later attachments are cancelled as they attach.
  void request_stop();
  bool stop_requested() const;

  // Waits `duration` of `clock`'s time unless stopped first. Returns false when stopped.
  bool wait_for(const Clock& clock, std::chrono::steady_clock::duration duration) const;
  // wait_for() on `signal` when there is one; otherwise the whole duration.
  static bool wait_for_if(const StopSignal* signal, const Clock& clock,
                          std::chrono::steady_clock::duration duration);

  // While it lives, a stop cancels the client behind `canceller` (an in-flight request of
  // that client fails at once as cancelled).
  class Attachment {
   public:
    Attachment(const Attachment&) = delete;
    Attachment& operator=(const Attachment&) = delete;
    ~Attachment();

   private:
    friend class StopSignal;
    Attachment(const StopSignal* signal, std::uint64_t id) : signal_(signal), id_(id) {}
    const StopSignal* signal_;  // null: nothing to detach
    std::uint64_t id_;
  };
  // REQUIRES: the attachment does not outlive this signal.
  [[nodiscard]] Attachment attach(http_client::Canceller canceller) const;
  // attach() on `signal` when there is one; otherwise an attachment that does nothing.
  [[nodiscard]] static Attachment attach_if(const StopSignal* signal,
                                            http_client::Canceller canceller);

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable stopped_changed_;
  bool stopped_ = false;                                              // guarded by mutex_
  mutable std::uint64_t next_id_ = 1;                                 // guarded by mutex_
  mutable std::map<std::uint64_t, http_client::Canceller> attached_;  // guarded by mutex_
};

}  // namespace pop::kubernetes
