// Decides which operations may start: pure bookkeeping over the dependency graph, with no
// processes, clocks or threads, so it is tested on its own (ninja's Plan, in spirit).
//
// Ready operations come out longest-remaining-chain first (the critical path), then in
// agenda order, so a long chain is not held back behind a wide fan-out.
#pragma once

#include <cstddef>
#include <queue>
#include <utility>
#include <vector>

#include "agenda/agenda_graph.h"

namespace pop {

class DagPlan {
 public:
  // `already_succeeded` (empty, or one flag per operation) marks operations whose output
  // exists from an earlier run; they are never dispatched. The graph must outlive the plan.
  // REQUIRES: the graph is acyclic (validated).
  explicit DagPlan(const AgendaGraph& graph, const std::vector<bool>& already_succeeded = {});

  bool has_ready() const { return !ready_.empty(); }
  // Removes and returns the next ready operation. REQUIRES: has_ready().
  std::size_t take_ready();

  // Records success of a dispatched operation, making dependants whose dependencies have
  // all succeeded ready.
  void mark_succeeded(std::size_t operation);

  std::size_t succeeded_count() const { return succeeded_; }
  std::size_t size() const { return waiting_on_.size(); }

 private:
  void release_dependants(std::size_t operation);
  void push_ready(std::size_t operation);

  const AgendaGraph& graph_;
  std::vector<std::size_t> waiting_on_;    // unsucceeded dependencies per operation
  std::vector<std::size_t> chain_length_;  // longest path to a sink, counting itself
  std::vector<bool> done_;                 // succeeded, or dispatched
  std::size_t succeeded_ = 0;
  // (chain length, -index): the max-heap yields the longest chain, then the lowest index.
  std::priority_queue<std::pair<std::size_t, std::ptrdiff_t>> ready_;
};

}  // namespace pop
