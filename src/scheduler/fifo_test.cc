#include "scheduler/fifo.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scheduler/scheduler_test_support.h"

namespace pop::scheduler {
namespace {

using test_support::agenda;
using test_support::at;
using test_support::ids;
using test_support::numbered;

struct OrderCase {
  const char* name;
  std::vector<WaitingAgenda> added;  // in this order
  std::vector<std::string> expected;
};

class FifoOrder : public ::testing::TestWithParam<OrderCase> {};

TEST_P(FifoOrder, AdmitsBySequenceWhateverTheArrivalOrder) {
  Fifo fifo;
  for (const WaitingAgenda& each : GetParam().added) ASSERT_TRUE(fifo.add(each));
  EXPECT_EQ(ids(fifo.select(100, at(0))), GetParam().expected);
  EXPECT_EQ(fifo.size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FifoOrder,
    ::testing::Values(OrderCase{"InSubmitOrder",
                                {agenda("a", "x", 1), agenda("b", "y", 2), agenda("c", "x", 3)},
                                {"a", "b", "c"}},
                      OrderCase{"RebuiltOutOfOrder",
                                {agenda("c", "x", 30), agenda("a", "y", 10), agenda("b", "x", 20)},
                                {"a", "b", "c"}},
                      OrderCase{"PriorityIgnored",
                                {agenda("low", "x", 1, 0), agenda("high", "x", 2, 99)},
                                {"low", "high"}},
                      OrderCase{"EqualSequencesKeepArrivalOrder",
                                {agenda("first", "x", 5), agenda("second", "y", 5),
                                 agenda("zero", "z", 0)},
                                {"zero", "first", "second"}}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Fifo, SelectTakesAtMostCountAndContinuesAcrossCalls) {
  Fifo fifo;
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(fifo.add(agenda(numbered("a", i), "x", i)));
  EXPECT_EQ(ids(fifo.select(2, at(0))), (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(fifo.size(), 3u);
  EXPECT_EQ(ids(fifo.select(0, at(0))), std::vector<std::string>{});
  EXPECT_EQ(ids(fifo.select(10, at(0))), (std::vector<std::string>{"a3", "a4", "a5"}));
  EXPECT_TRUE(fifo.select(1, at(0)).empty());
}

TEST(Fifo, RemovedAgendaIsSkippedAndReAddedOneIsPlacedBySequence) {
  Fifo fifo;
  for (int i = 1; i <= 4; ++i) ASSERT_TRUE(fifo.add(agenda(numbered("a", i), "x", i)));
  EXPECT_TRUE(fifo.remove("a2"));
  EXPECT_FALSE(fifo.remove("a2"));
  EXPECT_FALSE(fifo.contains("a2"));
  ASSERT_TRUE(fifo.add(agenda("a2", "x", 9)));  // a rerun: fresh sequence, at the back
  ASSERT_TRUE(fifo.add(agenda("a0", "x", 0)));  // an old sequence keeps its old place
  EXPECT_EQ(ids(fifo.select(10, at(0))), (std::vector<std::string>{"a0", "a1", "a3", "a4", "a2"}));
}

TEST(Fifo, ExplainCountsOlderAgendas) {
  Fifo fifo;
  ASSERT_TRUE(fifo.add(agenda("late", "x", 30)));
  ASSERT_TRUE(fifo.add(agenda("early", "y", 10)));
  ASSERT_TRUE(fifo.add(agenda("middle", "x", 20)));
  auto explanation = fifo.explain("late", at(0));
  ASSERT_TRUE(explanation);
  EXPECT_EQ(explanation->position, 2u);
  EXPECT_TRUE(explanation->exact);
  EXPECT_NE(explanation->reason.find("2 agendas were submitted earlier"), std::string::npos)
      << explanation->reason;
  EXPECT_EQ(fifo.explain("early", at(0))->position, 0u);
  EXPECT_FALSE(fifo.explain("unknown", at(0)));
}

}  // namespace
}  // namespace pop::scheduler
