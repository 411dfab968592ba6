#include "scheduler/round_robin.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scheduler/scheduler_test_support.h"

namespace pop::scheduler {
namespace {

using test_support::add_letters;
using test_support::agenda;
using test_support::at;
using test_support::customers;
using test_support::ids;

struct RoundCase {
  const char* name;
  const char* submitted;  // one letter per agenda, its customer
  std::vector<std::size_t> select_counts;
  std::vector<std::string> admitted;  // customers admitted by each select
};

class RoundRobinOrder : public ::testing::TestWithParam<RoundCase> {};

TEST_P(RoundRobinOrder, ServesOnePerCustomerPerRound) {
  RoundRobin round_robin;
  add_letters(round_robin, GetParam().submitted);
  std::vector<std::string> admitted;
  for (std::size_t count : GetParam().select_counts) {
    admitted.push_back(customers(round_robin.select(count, at(0))));
  }
  EXPECT_EQ(admitted, GetParam().admitted);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RoundRobinOrder,
    ::testing::Values(
        RoundCase{"Interleaves", "AAABBBCCC", {9}, {"ABCABCABC"}},
        // The pending list (customers not served in a partial round) is served first by the
        // next call, so splitting a selection changes nothing.
        RoundCase{"CarriesPendingAcrossCalls", "AAABBBCCC", {2, 2, 5}, {"AB", "CA", "BCABC"}},
        RoundCase{"OneAtATime", "AAABBBCCC", {1, 1, 1, 1, 1}, {"A", "B", "C", "A", "B"}},
        RoundCase{"UnevenBacklogs", "AAAAB", {5}, {"ABAAA"}},
        RoundCase{"RingFollowsArrival", "CABCAB", {6}, {"CABCAB"}},
        RoundCase{"StopsWhenEmpty", "AB", {1, 5, 1}, {"A", "B", ""}}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(RoundRobin, FifoWithinACustomer) {
  RoundRobin round_robin;
  ASSERT_TRUE(round_robin.add(agenda("a-late", "a", 30)));
  ASSERT_TRUE(round_robin.add(agenda("b-only", "b", 20)));
  ASSERT_TRUE(round_robin.add(agenda("a-early", "a", 10)));
  EXPECT_EQ(ids(round_robin.select(3, at(0))),
            (std::vector<std::string>{"a-early", "b-only", "a-late"}));
}

TEST(RoundRobin, CustomerArrivingMidRoundWaitsForTheNextRound) {
  RoundRobin round_robin;
  add_letters(round_robin, "AABB");
  EXPECT_EQ(customers(round_robin.select(1, at(0))), "A");  // B still pending in round 1
  add_letters(round_robin, "DD", 100);
  EXPECT_EQ(customers(round_robin.select(10, at(0))), "BABDD");
}

TEST(RoundRobin, CustomerComingBackAfterEmptyingJoinsTheEndOfTheRing) {
  RoundRobin round_robin;
  add_letters(round_robin, "ABBB");
  EXPECT_EQ(customers(round_robin.select(1, at(0))), "A");
  add_letters(round_robin, "A", 100);
  EXPECT_EQ(customers(round_robin.select(10, at(0))), "BBAB");
}

TEST(RoundRobin, RemovedAgendasAndCustomersDropOut) {
  RoundRobin round_robin;
  add_letters(round_robin, "AABBC");
  EXPECT_TRUE(round_robin.remove("A1"));
  EXPECT_TRUE(round_robin.remove("C1"));  // C has nothing left and leaves the ring
  EXPECT_FALSE(round_robin.remove("C1"));
  EXPECT_EQ(ids(round_robin.select(10, at(0))), (std::vector<std::string>{"A2", "B1", "B2"}));
  // Re-adding a removed id is a new agenda like any other.
  ASSERT_TRUE(round_robin.add(agenda("C1", "C", 50)));
  EXPECT_EQ(ids(round_robin.select(1, at(0))), std::vector<std::string>{"C1"});
}

TEST(RoundRobin, ExplainGivesTheRoundAndPosition) {
  RoundRobin round_robin;
  add_letters(round_robin, "AAABBBCCC");
  ASSERT_EQ(customers(round_robin.select(1, at(0))), "A");
  // Remaining order: B1 C1 | A2 B2 C2 | A3 B3 C3.
  struct Expected {
    const char* id;
    std::size_t position;
  };
  for (Expected expected : {Expected{"B1", 0}, Expected{"C1", 1}, Expected{"A2", 2},
                            Expected{"C2", 4}, Expected{"A3", 5}, Expected{"C3", 7}}) {
    auto explanation = round_robin.explain(expected.id, at(0));
    ASSERT_TRUE(explanation) << expected.id;
    EXPECT_EQ(explanation->position, expected.position) << expected.id;
    EXPECT_TRUE(explanation->exact);
  }
  EXPECT_NE(round_robin.explain("B1", at(0))->reason.find("still to be served in the current"),
            std::string::npos);
  EXPECT_NE(round_robin.explain("A3", at(0))
                ->reason.find("agenda number 2, so it is admitted 1 "
                              "round after that turn"),
            std::string::npos)
      << round_robin.explain("A3", at(0))->reason;
  EXPECT_FALSE(round_robin.explain("A1", at(0)));
}

}  // namespace
}  // namespace pop::scheduler
