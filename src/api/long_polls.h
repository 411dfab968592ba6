// The long polls of the pull endpoint, kept as entries rather than threads: a poll that
// found no work waits here as a record until work for its resource pool appears, its
// deadline passes, its client leaves or the server stops. A wake-up of pool P re-tries only
// P's polls, in the order they arrived, on a small fixed pool of worker threads (one pass at
// a time per pool); one timer thread answers the polls whose deadline passed. The thread
// count is therefore fixed, whatever the number of polls.
//
// Bounds: at most `max_waiting` polls wait at once, and at most `max_waiting_per_caller` of
// one principal. A poll beyond a bound still gets its first attempt, so it takes any work
// there is, and is then answered at once with the empty result instead of waiting: the
// caller's next poll asks again. This is not an error (a 503) on purpose: an empty answer
// before waitSeconds is within the pull's contract, every puller handles it as "nothing
// now" without an error path or a log line, and it costs the server what a pull with
// waitSeconds 0 costs, which any puller may send anyway. A full registry therefore never
// keeps work from a puller; it only turns its waiting into polling.
//
// Thread-safety: every member may be called from any thread. The Poll callbacks run on the
// caller of start(), on a worker or on the timer thread, never two of one poll at once and
// never under the registry's lock (so they may call wake()).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "util/clock.h"

namespace pop::api {

struct LongPollLimits {
  std::size_t max_waiting = 10000;            // polls waiting at once, of all callers
  std::size_t max_waiting_per_caller = 1000;  // ... of one principal
  std::size_t workers = 4;                    // threads that re-try polls after a wake-up
};

class LongPolls {
 public:
  struct Poll {
    std::string pool_id;
    std::string caller;                      // the principal whose bound it counts against
    std::set<std::string> skip_insight_ids;  // a wake-up of only these insights is not for it
    Clock::SteadyTime deadline;              // on the clock() of the LongPolls
    // Tries to take work; true when it answered (with agendas, or an error): the poll ends.
    // May block briefly (leases are written durably).
    std::function<bool()> attempt;
    // Answers that there is nothing (deadline, stop, over a bound). Must not block.
    std::function<void()> answer_empty;
  };

  // Starts the workers and the timer thread. REQUIRES: limits.workers >= 1. `clock` is
  // borrowed; the polls' deadlines are on it.
  explicit LongPolls(LongPollLimits limits, const Clock& clock = system_clock());
  // Stops, as stop() does.
  ~LongPolls();
  LongPolls(const LongPolls&) = delete;
  LongPolls& operator=(const LongPolls&) = delete;

  // Runs the poll's first attempt on the calling thread. When it took nothing, the poll
  // waits, and its id is returned for cancel(); when it answered, or was answered empty at
  // once (deadline already passed, over a bound, stopping), 0.
  std::uint64_t start(Poll poll);

  // The ready queues of `pool_id` gained agendas, of insight `insight_id` (empty: of any):
  // the pool's waiting polls that may take them are re-tried, on a worker. Quick.
  void wake(const std::string& pool_id, const std::string& insight_id);

  // The poll's client is gone (`answer` false: forget it unanswered) or must be answered
  // now (`answer` true: answered empty). Nothing when it ended already. Quick.
  void cancel(std::uint64_t id, bool answer);

  // Answers every waiting poll empty, lets attempts in flight finish (each then answers),
  // and joins the threads; later polls are answered empty after their first attempt.
  // Idempotent. REQUIRES: not called from a Poll callback.
  void stop();

  // Polls waiting now.
  std::size_t waiting() const;

  const Clock& clock() const { return clock_; }

 private:
  struct Entry {
    std::uint64_t id = 0;
    Poll poll;
    std::uint64_t tried = 0;  // the pool's generation when its last attempt began
    bool attempting = false;
    bool ended = false;         // removed from the registry
    bool answer_after = false;  // answer empty once the attempt in flight found nothing
    bool drop_after = false;    // the client left during the attempt in flight
  };
  struct PoolState {
    std::uint64_t generation = 0;  // wake-ups so far
    std::set<std::string> woken;   // insights woken since the last pass began ("": any)
    bool pass_scheduled = false;   // a pass is queued or running
    std::size_t starting = 0;      // first attempts in flight
    std::map<std::uint64_t, std::shared_ptr<Entry>> polls;  // waiting, by id: arrival order
  };

  void work();
  void time_out();
  // Re-tries the pool's polls that have not tried since its last wake-up, in arrival order.
  void run_pass(const std::string& pool_id);
  // REQUIRES: mutex_ held.
  void schedule_pass(const std::string& pool_id, PoolState& state);
  // Takes the entry out of every index. REQUIRES: mutex_ held.
  void remove(Entry& entry);
  // Drops the pool's state once nothing refers to it. REQUIRES: mutex_ held.
  void forget_if_idle(const std::string& pool_id);

  const LongPollLimits limits_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable deadline_moved_;
  bool stopping_ = false;                                              // GUARDED_BY(mutex_)
  std::uint64_t next_id_ = 1;                                          // GUARDED_BY(mutex_)
  std::unordered_map<std::uint64_t, std::shared_ptr<Entry>> entries_;  // GUARDED_BY(mutex_)
  std::map<std::string, PoolState, std::less<>> pools_;                // GUARDED_BY(mutex_)
  std::unordered_map<std::string, std::size_t> per_caller_;            // GUARDED_BY(mutex_)
  std::set<std::pair<Clock::SteadyTime, std::uint64_t>> deadlines_;    // GUARDED_BY(mutex_)
  std::deque<std::string> passes_;  // pools whose pass waits for a worker; GUARDED_BY(mutex_)
  std::vector<std::thread> workers_;
  std::thread timer_;
};

}  // namespace pop::api
