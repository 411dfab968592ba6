// The in-memory side of scheduling: per insight, its algorithm holding the waiting agendas
// and a ready queue kept `queueSize` deep from it. Events drive it (an agenda waits, a
// puller takes work, an agenda goes away); nothing polls. The store is the source of truth:
// the server rebuilds these queues from it at start and calls in here after each commit.
//
// Thread-safety: every member may be called from any thread; one mutex guards the state,
// and the ready listener is called after it is released.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "scheduler/queues/insight.h"
#include "scheduler/scheduling_algorithm.h"

namespace pop::scheduler {

using scheduler::TimePoint;

struct ReadyAgenda {
  std::string insight_id;
  scheduler::WaitingAgenda agenda;  // as it was queued, so it can be queued again as is
  std::uint64_t looks = 0;          // its insight's take() count when it was taken
};

// One insight's queue, for metrics: agendas under its algorithm and in its ready queue.
struct QueueDepth {
  std::string resource_pool_id;
  std::string insight_id;
  std::size_t waiting = 0;  // under the algorithm, not yet admitted
  std::size_t ready = 0;    // admitted, waiting for a puller
  // When the agenda that has waited longest (waiting or ready) was queued, to the second;
  // nullopt when the queue is empty.
  std::optional<scheduler::TimePoint> oldest_enqueued_at;
  std::string algorithm;  // the insight's scheduling algorithm
  // Decisions: agendas its algorithm admitted since it was configured (an agenda put back and
  // admitted again counts again).
  std::uint64_t admitted = 0;
};

struct QueuePosition {
  std::string insight_id;
  std::string algorithm;
  bool ready = false;        // admitted to the ready queue, waiting for a puller
  std::size_t position = 0;  // agendas ahead of it, ready queue first
  std::string reason;        // for a person
};

class InsightQueues {
 public:
  // Called with an insight's resource pool and id whenever its ready queue gains agendas
  // (to wake that pool's long polls); with an empty insight id when any insight of the pool
  // may hold agendas that became admissible (see announce_capacity()).
  using ReadyListener =
      std::function<void(const std::string& resource_pool_id, const std::string& insight_id)>;

  explicit InsightQueues(ReadyListener listener = {});

  // Creates an insight's queue or applies an edited one (queue size, algorithm, weights,
  // resource pool). Switching algorithm moves the waiting agendas into the new one; a
  // smaller queue size puts the ready agendas beyond it back under the algorithm. The ready
  // listener hears of a queue that gained agendas or moved to another pool with some.
  // kInvalidArgument for an unknown algorithm or bad configuration; nothing changes then.
  Result<void> configure(const Insight& insight, const scheduler::AlgorithmConfig& config,
                         TimePoint now);

  // Drops an insight and everything queued in it; returns the dropped agenda ids.
  std::vector<std::string> remove_insight(std::string_view insight_id);

  // Drops every agenda queued in the pool's insights, keeping the insights, and closes the
  // pool: until open_pool(), enqueue() and put_back() of its agendas do nothing (another server
  // keeps its queues; a pull in flight puts nothing back). The pool's listeners hear of it,
  // so that waiting pulls look again. Returns how many agendas were dropped.
  std::size_t clear_pool(std::string_view resource_pool_id);
  // This server keeps the pool's queues again. Pools are open unless cleared.
  void open_pool(std::string_view resource_pool_id);

  // Drops an insight's queue only if no agenda is queued in it (ready or waiting), in one
  // step, so none can arrive between the check and the removal. Returns how many agendas
  // it holds: 0 when it was removed (or had no queue), else nothing changed.
  std::size_t remove_insight_if_idle(std::string_view insight_id);

  // An agenda starts waiting in an insight (submit, rerun, reclaimed lease); the ready
  // listener hears of it when it is ready. kNotFound for an unknown insight, kConflict when
  // the agenda is queued somewhere already.
  Result<void> enqueue(std::string_view insight_id, scheduler::WaitingAgenda agenda, TimePoint now);

  // Puts an agenda that take() handed out back at the head of its ready queue, where it
  // was (nobody may take it now: it does not fit the puller, its insight is at its limit,
  // leasing it failed); what was refilled behind it goes back under the algorithm. Several
  // agendas of one take() go back in the reverse order of the take, so the queue is as
  // before. The ready listener hears of it only when another take() looked at the insight
  // meanwhile and may have missed it: a puller's own put-backs must not wake pullers again,
  // or a poll that cannot take an agenda would retry it forever. `until_capacity`: nobody
  // may take it before a running agenda ends (a customer at its running quota); it is
  // announced by the next announce_capacity() instead. kNotFound when the insight has gone,
  // kConflict when the agenda is queued again already.
  Result<void> put_back(ReadyAgenda ready, bool until_capacity = false);

  // Tells the ready listener of the insights (by id) that take() refilled and whose ready
  // queue holds agendas: after a take() whose agendas were not all put back, the agendas
  // refilled behind them are new to everyone.
  void announce_ready(const std::set<std::string>& insight_ids);

  // Tells the ready listener (with an empty insight id) that agendas put back until
  // capacity may be admissible now: a running agenda ended. Only the pools holding such
  // agendas hear of it.
  void announce_capacity();

  // Forgets an agenda wherever it is queued (cancelled, deleted). False when not queued.
  bool forget(std::string_view agenda_id, TimePoint now);

  // Hands out up to `max` ready agendas of the given insights, visiting them in turn from a
  // rotating start so no insight of a pool is favoured; every ready queue taken from is
  // refilled by its algorithm. Taken agendas are no longer queued: the caller leases them,
  // or puts them back. The listener hears of nothing here: the caller announces the refills
  // (announce_ready) once it knows which agendas stay taken.
  std::vector<ReadyAgenda> take(std::span<const std::string> insight_ids, std::size_t max,
                                TimePoint now);

  std::optional<QueuePosition> explain(std::string_view agenda_id, TimePoint now) const;

  // The ids of the queued insights of a resource pool, in id order.
  std::vector<std::string> insights_of_pool(std::string_view resource_pool_id) const;
  // The same insights themselves (copies), for binding agendas at submit.
  std::vector<Insight> insights_in_pool(std::string_view resource_pool_id) const;
  // Every queued insight (copies), in id order.
  std::vector<Insight> insights() const;
  bool has_insight(std::string_view insight_id) const;
  // The resource pool the insight is in now; nothing for an unknown insight.
  std::optional<std::string> pool_of(std::string_view insight_id) const;

  // Agendas of the customer queued in any insight, ready or waiting under an algorithm.
  std::size_t waiting_of_customer(std::string_view customer_id) const;

  std::size_t ready_count(std::string_view insight_id) const;
  std::size_t waiting_count(std::string_view insight_id) const;
  // Every queued insight's depth, in insight id order (closed pools included: the agendas
  // are there, only not handed out).
  std::vector<QueueDepth> depths() const;

 private:
  struct Queue {
    Insight insight;
    std::unique_ptr<scheduler::SchedulingAlgorithm> algorithm;
    std::deque<scheduler::WaitingAgenda> ready;
    std::uint64_t looks = 0;     // take() calls that visited this queue (see put_back)
    bool refilled = false;       // take() refilled it since the last announce_ready()
    std::uint64_t admitted = 0;  // agendas the algorithm admitted to `ready`
  };
  // The ready listener's argument: a pool and one of its insights (or empty: any).
  using Announcement = std::pair<std::string, std::string>;

  // Puts ready agendas beyond queue_size back under the algorithm (the size was lowered).
  void shrink(Queue& queue);
  // Tops the ready queue up to queue_size; returns whether it gained agendas.
  bool refill(Queue& queue, TimePoint now);
  void notify(const std::vector<Announcement>& announcements) const;
  // Forgets where a queued agenda is, with its count. REQUIRES: mutex_ held.
  void unplace(const std::string& agenda_id);
  // Records where a queued agenda is, with its count; false when it is queued already.
  // REQUIRES: mutex_ held.
  bool place(const std::string& agenda_id, const std::string& insight_id,
             const std::string& customer_id);

  struct Placement {
    std::string insight_id;
    std::string customer_id;
  };

  ReadyListener listener_;
  mutable std::mutex mutex_;
  std::map<std::string, Queue, std::less<>> queues_;
  std::unordered_map<std::string, Placement> insight_of_;  // by agenda id
  std::map<std::string, std::size_t, std::less<>> waiting_of_customer_;
  std::size_t rotation_ = 0;
  // Pools holding agendas put back until capacity since the last announce_capacity().
  std::set<std::string> quiet_pools_;
  std::set<std::string, std::less<>> closed_pools_;  // see clear_pool
  // Whether the insight's pool is closed. REQUIRES: mutex_ held.
  bool closed(const Queue& queue) const {
    return closed_pools_.contains(queue.insight.resource_pool_id);
  }
};

}  // namespace pop::scheduler
