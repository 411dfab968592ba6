#include "engine/dag_plan.h"

#include <algorithm>
#include <cassert>

namespace pop {
namespace {

// Longest path to a sink for every node, computed over a topological order (Kahn) so a
// 10,000-long chain needs no recursion.
std::vector<std::size_t> chain_lengths(const AgendaGraph& graph) {
  const std::size_t n = graph.dependencies.size();
  std::vector<std::size_t> remaining(n);
  std::vector<std::size_t> order;
  order.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    remaining[i] = graph.dependencies[i].size();
    if (remaining[i] == 0) order.push_back(i);
  }
  for (std::size_t head = 0; head < order.size(); ++head) {
    for (std::size_t dependant : graph.dependants[order[head]]) {
      if (--remaining[dependant] == 0) order.push_back(dependant);
    }
  }
  assert(order.size() == n && "DagPlan requires an acyclic graph");
  std::vector<std::size_t> length(n, 1);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    for (std::size_t dependant : graph.dependants[*it])
      length[*it] = std::max(length[*it], length[dependant] + 1);
  }
  return length;
}

}  // namespace

DagPlan::DagPlan(const AgendaGraph& graph, const std::vector<bool>& already_succeeded)
    : graph_(graph),
      waiting_on_(graph.dependencies.size()),
      chain_length_(chain_lengths(graph)),
      done_(graph.dependencies.size(), false) {
  const std::size_t n = waiting_on_.size();
  for (std::size_t i = 0; i < n; ++i) waiting_on_[i] = graph.dependencies[i].size();
  for (std::size_t i = 0; i < n && i < already_succeeded.size(); ++i) {
    if (!already_succeeded[i]) continue;
    done_[i] = true;
    ++succeeded_;
    for (std::size_t dependant : graph.dependants[i]) --waiting_on_[dependant];
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!done_[i] && waiting_on_[i] == 0) push_ready(i);
  }
}

std::size_t DagPlan::take_ready() {
  assert(!ready_.empty());
  const auto operation = static_cast<std::size_t>(-ready_.top().second);
  ready_.pop();
  done_[operation] = true;
  return operation;
}

void DagPlan::mark_succeeded(std::size_t operation) {
  ++succeeded_;
  release_dependants(operation);
}

void DagPlan::release_dependants(std::size_t operation) {
  for (std::size_t dependant : graph_.dependants[operation]) {
    if (--waiting_on_[dependant] == 0 && !done_[dependant]) push_ready(dependant);
  }
}

void DagPlan::push_ready(std::size_t operation) {
  ready_.emplace(chain_length_[operation], -static_cast<std::ptrdiff_t>(operation));
}

}  // namespace pop
