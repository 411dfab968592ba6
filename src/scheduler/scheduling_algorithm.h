// The interface every per-insight scheduling algorithm implements, and the plain data it
// decides on. The server keeps one algorithm per insight holding that insight's waiting
// agendas, and on each event (submit, pull, completion) asks it which agendas enter the
// ready queue. Algorithms are pure logic: no I/O, no threads, no clock reads (the caller
// passes `now`), so they are tested by feeding them agendas and moving time by hand.
//
// Cost contract, shared by all implementations: add(), remove() and each admitted agenda
// of select() take O(log n) time in the backlog n (plus O(log c) in the number c of
// customers with waiting agendas; add() is amortised, as the id hash table doubles while
// the backlog grows); explain() is O(log n) for fifo and priority and O(c log n) for the
// per-customer algorithms. Nothing on the decision path walks the backlog; the exceptions
// are rare and documented where they occur (priority's reconfigure(), weightedFair's
// virtual-time rebase).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scheduler/algorithm_config.h"
#include "util/result.h"

namespace pop::scheduler {

using TimePoint = std::chrono::system_clock::time_point;

// An agenda bound to an insight and waiting to enter the insight's ready queue.
struct WaitingAgenda {
  std::string agenda_id;    // unique among the agendas the algorithm holds
  std::string customer_id;  // the unit of fairness for roundRobin and weightedFair
  // Submit order from the store, lower is older: orders FIFO everywhere and breaks ties.
  // An agenda is placed by the sequence it is given, so a rerun that must go to the back
  // (POP's rule) is given a fresh one by the store.
  std::int64_t sequence = 0;
  int priority = 0;         // higher first; used by `priority` only
  TimePoint enqueued_at{};  // when it started waiting; `priority` ages it from here
};

// Where a waiting agenda stands, for the API's /explain.
struct Explanation {
  // 0-based position at which the agenda would be admitted if select() ran now and no
  // agenda were added or removed meanwhile.
  std::size_t position = 0;
  // False when `position` is an estimate; every built-in algorithm computes it exactly.
  bool exact = true;
  // One or two sentences for a person: the rule that places it and what it waits for.
  std::string reason;
};

// One instance per insight. Not thread-safe: the caller serialises all calls (the
// server holds the insight's lock), and const members are safe to call concurrently only
// with each other.
class SchedulingAlgorithm {
 public:
  virtual ~SchedulingAlgorithm() = default;

  // The name the API uses for this algorithm (an insight's `schedulingAlgorithm`).
  virtual std::string_view name() const = 0;

  // Takes ownership of a new or re-queued waiting agenda. Fails with kConflict when an
  // agenda with the same id is already held (nothing changes) and kInvalidArgument for
  // an empty id.
  virtual Result<void> add(WaitingAgenda agenda) = 0;

  // Forgets a waiting agenda (cancelled or deleted before it was admitted). Returns false
  // when the id is not held.
  virtual bool remove(std::string_view agenda_id) = 0;

  // Admits up to `count` agendas (fewer when fewer wait): removes them from the waiting
  // set and returns them in admission order. Calling select(a) then select(b) admits the
  // same agendas in the same order as select(a + b): the algorithms carry their state
  // (round robin's pending customers, fair-queuing virtual time) between calls.
  virtual std::vector<WaitingAgenda> select(std::size_t count, TimePoint now) = 0;

  virtual std::size_t size() const = 0;
  // The earliest enqueued_at of the agendas held, to the second below it (for the oldest
  // wait of a queue); nullopt when none is held. O(1).
  virtual std::optional<TimePoint> oldest_enqueued_at() const = 0;
  virtual bool contains(std::string_view agenda_id) const = 0;

  // Where a held agenda stands (see Explanation); nullopt when the id is not held.
  virtual std::optional<Explanation> explain(std::string_view agenda_id, TimePoint now) const = 0;

  // Applies an edited configuration (e.g. new customer weights) to the agendas already
  // held. Fails with kInvalidArgument, changing nothing, when the configuration is
  // invalid. Algorithms ignore the fields that are not theirs.
  virtual Result<void> reconfigure(const AlgorithmConfig& config) = 0;
};

}  // namespace pop::scheduler
