// `weightedFair`: customers share admissions in proportion to their weights (see
// AlgorithmConfig), by start-time fair queuing (Goyal, Vin and Cheng, 1996) in which every
// agenda costs one admission. Within a customer, FIFO.
//
// Each customer with waiting agendas has a virtual start time S for its next admission.
// The customer with the lowest S is served (ties: the customer seen first), the insight's
// virtual time V becomes that S, and the customer's next S is S + 1/w. A customer that
// gets agendas after having none starts at max(V, the S it would have had next): it banks
// no credit while idle and gains nothing by going idle and coming back.
//
// Fairness bound. Over any run of consecutive admissions during which customers i and j
// both have waiting agendas throughout and keep their weights, their admission counts
// A_i, A_j satisfy
//     |A_i / w_i - A_j / w_j|  <=  1/w_i + 1/w_j.
// When the same n customers stay backlogged over a run of N admissions (no one else is
// admitted in it), each customer's deviation from its weighted share is
//     |A_i - N * w_i / W|  <=  1 + (n - 2) * w_i / W,   W = sum of the n weights,
// so less than 2 agendas for n = 3 (1.125, 1.25 and 1.625 for weights 1:2:5) and less
// than n - 1 in general, however long the run.
// Proof. Admitted start times never decrease: a new S is never below V. Let s_1 and s_N
// be the first and last start times admitted in the run, D = s_N - s_1. The agendas of i
// admitted in the run have start times in [s_1, s_N] spaced exactly 1/w_i apart, so
// A_i <= D * w_i + 1. Before the run, i's next S was at most V + 1/w_i <= s_1 + 1/w_i
// (when i was last served at S' <= V its next became S' + 1/w_i, and a returning
// customer starts at max(V, that)); just before the last admission it was at least s_N,
// the minimum then; all start times in between were admitted, so A_i >= D * w_i - 1.
// With |A_i - D * w_i| <= 1 for i and j the pairwise bound follows; writing
// A_i = D * w_i + e_i and N = D * W + sum(e) gives the share bound.
//
// Cost: O(log c + log n) per admission, add and remove; explain is exact in
// O(c log n). Virtual times are doubles computed as base + k/w in one expression, so
// explain reproduces select's arithmetic bit for bit. They are rebased to zero when V
// passes 2^30 (an O(c log c) rebuild, at most once per 2^30 / 1000 admissions), so
// rounding stays below 2^-22, under 1/4000 of the smallest spacing 1/w that the weight
// bounds of AlgorithmConfig allow. Idle customers are remembered only while their next S
// is ahead of V.
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

class WeightedFair final : public SchedulingAlgorithm {
 public:
  static constexpr std::string_view kName = "weightedFair";
  static constexpr double kRebaseAbove = 1073741824.0;  // 2^30

  // REQUIRES: validate(config) succeeded. `rebase_above` is for tests.
  explicit WeightedFair(AlgorithmConfig config, double rebase_above = kRebaseAbove);

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
  // Exact (for the current weights): the number of waiting agendas, over all customers,
  // whose virtual start time comes first.
  std::optional<Explanation> explain(std::string_view agenda_id, TimePoint now) const override;
  // New weights apply from each customer's next admission on; start times already
  // assigned (one per customer) stay, so a change cannot jump the queue.
  Result<void> reconfigure(const AlgorithmConfig& config) override;

  double virtual_time() const { return virtual_time_; }

 private:
  struct Customer;
  using Index = AgendaIndex<Customer*>;

  // The order of service: virtual start time, then the customer seen first.
  struct Turn {
    double start = 0;
    std::uint64_t serial = 0;
    auto operator<=>(const Turn&) const = default;
  };

  struct Customer {
    std::string_view id;  // the key of customers_
    RankedMap<SubmitOrder, const Index::Entry*> queue;
    double cost = 1;  // 1 / weight: the virtual time one admission takes
    // Its k-th waiting agenda (0 = oldest) starts at base + (served + k) * cost.
    double base = 0;
    std::uint64_t served = 0;
    std::uint64_t serial = 0;

    double start(std::uint64_t ahead) const {
      return base + static_cast<double>(served + ahead) * cost;
    }
    Turn turn(std::uint64_t ahead = 0) const { return Turn{start(ahead), serial}; }
  };

  // A customer whose queue just emptied: remembered while its next start is ahead of V.
  void park(Customer* customer);
  void forget_stale_idle();
  void rebase();

  AlgorithmConfig config_;
  double rebase_above_;
  Index index_;
  StringMap<Customer> customers_;    // backlogged or in idle_
  std::map<Turn, Customer*> turns_;  // backlogged customers
  std::map<Turn, Customer*> idle_;   // idle, next start > V
  double virtual_time_ = 0;
  std::uint64_t next_serial_ = 0;
};

}  // namespace pop::scheduler
