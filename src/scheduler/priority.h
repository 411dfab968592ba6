// `priority`: the highest effective priority is admitted first, FIFO within a level, and
// waiting raises the effective priority so that nothing starves:
//
//     effective(a, now) = a.priority + ticks(now) - ticks(a.enqueued_at),
//     ticks(t) = floor((t - epoch) / agingInterval).
//
// That is, a waiting agenda gains one level at every multiple of the aging interval since
// the Unix epoch, the first within one interval of being enqueued (not exactly one
// interval after it). There is no cap.
//
// Why aligned ticks rather than floor((now - enqueued_at) / interval): that formula makes
// the order depend on `now`, e.g. with a 60 s interval, a = (priority 1, enqueued at 0 s)
// and b = (priority 0, enqueued at -30 s) have effective priorities 1 and 0 at now = 20 s,
// but 1 and 1 at now = 40 s, when FIFO within the level puts b first. Keeping that order
// current would mean re-sorting the backlog as time passes.
//
// Claim: with aligned ticks the order never changes while agendas wait, so it is kept in
// one sorted structure and select() never looks at the clock.
// Proof: for agendas a and b at any time now,
//     effective(a, now) - effective(b, now)
//       = (a.priority - ticks(a.enqueued_at)) - (b.priority - ticks(b.enqueued_at)),
// because ticks(now) cancels. So ordering by the static key
//     level(a) = a.priority - ticks(a.enqueued_at)   (descending),
// then by sequence (ascending, FIFO within a level), is ordering by effective priority
// then FIFO, at every `now`.
//
// No starvation: an agenda a waits behind the agendas already waiting with a level >= its
// own (finitely many) and behind an agenda enqueued later, at t with priority p, only if
// p - ticks(t) >= a.priority - ticks(a.enqueued_at), i.e. only if it arrived within
// p_max - a.priority + 1 aging intervals of a, where p_max bounds the priorities
// submitted. So a is admitted after finitely many others. A cap on aging would break this
// (and the static order), which is why there is none.
//
// Cost: O(log n) per add, remove, admission and explain (exact). Changing the aging
// interval re-sorts the backlog once, O(n log n).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "scheduler/agenda_index.h"
#include "scheduler/ranked_map.h"
#include "scheduler/scheduling_algorithm.h"

namespace pop::scheduler {

class Priority final : public SchedulingAlgorithm {
 public:
  static constexpr std::string_view kName = "priority";

  // REQUIRES: validate(config) succeeded.
  explicit Priority(const AlgorithmConfig& config);

  std::string_view name() const override { return kName; }
  Result<void> add(WaitingAgenda agenda) override;
  bool remove(std::string_view agenda_id) override;
  std::vector<WaitingAgenda> select(std::size_t count, TimePoint now) override;
  std::size_t size() const override { return index_.size(); }
  std::optional<TimePoint> oldest_enqueued_at() const override {
    return index_.oldest_enqueued_at();
  }
  bool contains(std::string_view agenda_id) const override {
    return index_.find(agenda_id) != nullptr;
  }
  std::optional<Explanation> explain(std::string_view agenda_id, TimePoint now) const override;
  Result<void> reconfigure(const AlgorithmConfig& config) override;

  // The effective priority defined above (exposed for the API and tests).
  std::int64_t effective_priority(int priority, TimePoint enqueued_at, TimePoint now) const;

 private:
  struct NoSlot {};
  using Index = AgendaIndex<NoSlot>;

  struct Rank {
    std::int64_t level = 0;  // priority - ticks(enqueued_at); higher first
    SubmitOrder order;
    // Higher level first, then FIFO.
    bool operator<(const Rank& other) const {
      if (level != other.level) return level > other.level;
      return order < other.order;
    }
  };

  std::int64_t ticks(TimePoint time) const;
  Rank rank_of(const Index::Record& record) const;

  std::int64_t interval_ns_;
  Index index_;
  RankedMap<Rank, const Index::Entry*> order_;
};

}  // namespace pop::scheduler
