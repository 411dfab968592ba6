#include "engine/dag_plan.h"

#include <gtest/gtest.h>

namespace pop {
namespace {

AgendaGraph make_graph(std::size_t n,
                       const std::vector<std::pair<std::size_t, std::size_t>>& edges) {
  AgendaGraph graph;
  graph.dependencies.resize(n);
  graph.dependants.resize(n);
  for (auto [from, to] : edges) {  // `from` depends on `to`
    graph.dependencies[from].push_back(to);
    graph.dependants[to].push_back(from);
  }
  return graph;
}

std::vector<std::size_t> drain(DagPlan& plan) {
  std::vector<std::size_t> out;
  while (plan.has_ready()) out.push_back(plan.take_ready());
  return out;
}

TEST(DagPlan, DiamondReleasesJoinOnlyAfterBothBranches) {
  // 0 <- 1, 0 <- 2, {1,2} <- 3
  AgendaGraph graph = make_graph(4, {{1, 0}, {2, 0}, {3, 1}, {3, 2}});
  DagPlan plan(graph);
  EXPECT_EQ(drain(plan), std::vector<std::size_t>{0});
  plan.mark_succeeded(0);
  EXPECT_EQ(drain(plan), (std::vector<std::size_t>{1, 2}));
  plan.mark_succeeded(1);
  EXPECT_FALSE(plan.has_ready());
  plan.mark_succeeded(2);
  EXPECT_EQ(drain(plan), std::vector<std::size_t>{3});
  plan.mark_succeeded(3);
  EXPECT_EQ(plan.succeeded_count(), 4u);
}

TEST(DagPlan, LongestChainFirstThenAgendaOrder) {
  // 0 and 1 are independent roots; 2 depends on 1, so 1 heads the longer chain.
  AgendaGraph graph = make_graph(4, {{2, 1}});
  DagPlan plan(graph);
  EXPECT_EQ(drain(plan), (std::vector<std::size_t>{1, 0, 3}));
}

TEST(DagPlan, AlreadySucceededAreNeverDispatched) {
  AgendaGraph graph = make_graph(3, {{1, 0}, {2, 1}});
  DagPlan plan(graph, {true, false, false});
  EXPECT_EQ(plan.succeeded_count(), 1u);
  EXPECT_EQ(drain(plan), std::vector<std::size_t>{1});
  plan.mark_succeeded(1);
  EXPECT_EQ(drain(plan), std::vector<std::size_t>{2});
}

TEST(DagPlan, FailedOperationBlocksItsDependantsOnly) {
  AgendaGraph graph = make_graph(3, {{1, 0}});
  DagPlan plan(graph);
  EXPECT_EQ(drain(plan), (std::vector<std::size_t>{0, 2}));
  plan.mark_succeeded(2);  // 0 "failed": never marked
  EXPECT_FALSE(plan.has_ready());
  EXPECT_EQ(plan.succeeded_count(), 1u);
}

TEST(DagPlan, TenThousandChainNeedsNoRecursion) {
  const std::size_t n = 10000;
  std::vector<std::pair<std::size_t, std::size_t>> edges;
  for (std::size_t i = 1; i < n; ++i) edges.emplace_back(i, i - 1);
  AgendaGraph graph = make_graph(n, edges);
  DagPlan plan(graph);
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(plan.has_ready());
    ASSERT_EQ(plan.take_ready(), i);
    ASSERT_FALSE(plan.has_ready());
    plan.mark_succeeded(i);
  }
  EXPECT_EQ(plan.succeeded_count(), n);
}

}  // namespace
}  // namespace pop
