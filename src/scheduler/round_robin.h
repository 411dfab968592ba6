// `roundRobin`: fairness across customers by count, POP's RoundRobin. Customers are served
// in rounds, one agenda (their oldest) per customer per round; within a customer, FIFO.
//
// The original computed each call in two passes over a persisted "pending customers"
// list: pass 1 gives one agenda to each pending customer (those not yet served in the
// round left unfinished by the previous call), pass 2 runs rounds over all customers until
// the request is filled, and the customers not served in the last, partial round become
// the new pending list. Here the same schedule is kept incrementally: each customer with
// waiting agendas carries the round it is next served in, customers are served in order of
// (round, place in the ring), and a served customer moves to the next round. The customers
// still at the lowest round are exactly the pending list, so the list carries across
// select() calls for free and an admission costs O(log c + log n) instead of a pass over
// all customers.
//
// Where this deliberately differs from the original:
// - A customer that gets its first waiting agenda (or a new one after having none) joins
//   the next round, at the end of the ring: it was not in the pending list, so in the
//   original it would also wait for pass 2. It does not keep a place it held while idle.
// - The original removed every customer served anywhere in pass 2 from the new pending
//   list, so a call that ran a full round and then a partial one restarted the next call
//   from the first customer, favouring customers early in the list. Here the pending list
//   is exactly the customers not served in the last partial round, as intended.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scheduler/agenda_index.h"
#include "scheduler/ranked_map.h"
#include "scheduler/scheduling_algorithm.h"

namespace pop::scheduler {

class RoundRobin final : public SchedulingAlgorithm {
 public:
  static constexpr std::string_view kName = "roundRobin";

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
  // Exact, in O(c) for c customers with waiting agendas: the k-th agenda of a customer is
  // admitted in that customer's k-th round from now, after everything admitted in earlier
  // rounds and after the customers ahead of it in the ring in that round.
  std::optional<Explanation> explain(std::string_view agenda_id, TimePoint now) const override;
  Result<void> reconfigure(const AlgorithmConfig& config) override { return validate(config); }

 private:
  struct Customer;
  using Index = AgendaIndex<Customer*>;

  // When a customer is next served: rounds first, then the ring within a round.
  struct Turn {
    std::uint64_t round = 0;
    std::uint64_t ring = 0;  // order in which the customer last became backlogged
    auto operator<=>(const Turn&) const = default;
  };

  struct Customer {
    std::string_view id;                                // the key of customers_
    RankedMap<SubmitOrder, const Index::Entry*> queue;  // never empty while held
    Turn turn;
  };

  void forget_customer(Customer* customer);

  Index index_;
  // Customers with waiting agendas only: an idle customer has nothing to remember.
  StringMap<Customer> customers_;
  std::map<Turn, Customer*> turns_;  // every customer in customers_, by its next turn
  std::uint64_t round_ = 0;          // the round of the latest admission
  std::uint64_t next_ring_ = 0;
};

}  // namespace pop::scheduler
