// Whether the store accepts writes now: what GET /readyz answers (docs/server.md,
// "Readiness"). /healthz says the process is alive; this says it can do its job, which a
// full or failing disk takes away while the process lives on.
//
// A check is a small durable write (Store::probe_write), made at most once per `interval`:
// checks in between get the last outcome, so a flood of readiness requests costs at most one
// write per interval. While a probe is running, other checks get the last outcome at once
// rather than queueing behind it, until the probe has run for `stalled_after`: a write that
// takes that long is itself the answer (kUnavailable).
//
// Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>

#include "util/clock.h"
#include "util/result.h"

namespace pop::store {

class StoreReadiness {
 public:
  // The write to make: Store::probe_write, bound to the server's store.
  using Probe = std::function<Result<void>(WallTime now)>;

  struct Options {
    std::chrono::milliseconds interval{1000};
    std::chrono::milliseconds stalled_after{5000};
  };

  // Borrows `clock`, which must outlive this object.
  StoreReadiness(Probe probe, const Clock& clock, Options options);

  // Success: the latest probe committed. kUnavailable: it failed (the message says why),
  // none has finished yet, or the one running has stalled.
  Result<void> check();

 private:
  const Probe probe_;
  const Clock& clock_;
  const Options options_;

  std::mutex mutex_;
  Result<void> last_;                              // GUARDED_BY(mutex_)
  bool probed_ = false;                            // GUARDED_BY(mutex_)
  bool probing_ = false;                           // GUARDED_BY(mutex_)
  std::chrono::steady_clock::time_point started_;  // GUARDED_BY(mutex_): the latest probe's
};

}  // namespace pop::store
