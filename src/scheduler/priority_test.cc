#include "scheduler/priority.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "scheduler/scheduler_test_support.h"

namespace pop::scheduler {
namespace {

using std::chrono::seconds;
using test_support::agenda;
using test_support::at;
using test_support::ids;
using test_support::numbered;

AlgorithmConfig aging_every(seconds interval) {
  AlgorithmConfig config;
  config.aging_interval = interval;
  return config;
}

struct LevelCase {
  const char* name;
  std::vector<WaitingAgenda> added;  // all enqueued at the same time
  std::vector<std::string> expected;
};

class PriorityOrder : public ::testing::TestWithParam<LevelCase> {};

TEST_P(PriorityOrder, HighestFirstFifoWithinALevel) {
  Priority priority(aging_every(seconds(60)));
  for (const WaitingAgenda& each : GetParam().added) ASSERT_TRUE(priority.add(each));
  EXPECT_EQ(ids(priority.select(100, at(0))), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PriorityOrder,
    ::testing::Values(
        LevelCase{"HigherFirst",
                  {agenda("low", "x", 1, 1), agenda("high", "x", 2, 9), agenda("mid", "y", 3, 5)},
                  {"high", "mid", "low"}},
        LevelCase{"FifoWithinLevel",
                  {agenda("b", "x", 20, 3), agenda("a", "y", 10, 3), agenda("c", "x", 30, 3)},
                  {"a", "b", "c"}},
        LevelCase{"NegativePriorities",
                  {agenda("minus", "x", 1, -5), agenda("zero", "x", 2, 0)},
                  {"zero", "minus"}},
        LevelCase{"Mixed",
                  {agenda("p1-old", "x", 1, 1), agenda("p2", "x", 2, 2),
                   agenda("p1-new", "x", 3, 1), agenda("p2-new", "y", 4, 2)},
                  {"p2", "p2-new", "p1-old", "p1-new"}}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

struct AgingCase {
  int priority;
  TimePoint enqueued_at;
  TimePoint now;
  std::int64_t effective;
};

TEST(Priority, EffectivePriorityGainsOneLevelPerAlignedInterval) {
  Priority priority(aging_every(seconds(60)));  // at(0) is a multiple of 60 s
  const TimePoint epoch{};
  for (const AgingCase& c : {
           AgingCase{0, at(0), at(0), 0}, AgingCase{0, at(0), at(59.9), 0},
           AgingCase{0, at(0), at(60), 1},
           AgingCase{0, at(30), at(60), 1},  // a tick, though only 30 s waited
           AgingCase{0, at(30), at(89), 1}, AgingCase{5, at(0), at(600), 15},
           AgingCase{-3, at(0), at(120), -1},
           AgingCase{0, epoch - seconds(90), epoch, 2},  // floor(-1.5) = -2
       }) {
    EXPECT_EQ(priority.effective_priority(c.priority, c.enqueued_at, c.now), c.effective)
        << "priority " << c.priority << " waited "
        << std::chrono::duration<double>(c.now - c.enqueued_at).count() << " s";
  }
}

TEST(Priority, OrderDoesNotDependOnWhenItIsAsked) {
  Priority priority(aging_every(seconds(60)));
  // Old low-priority agendas and new high-priority ones, across several tick boundaries.
  std::vector<std::string> all;
  for (int k = 0; k < 40; ++k) {
    const std::string id = numbered("a", k);
    ASSERT_TRUE(priority.add(agenda(id, "x", k, (k * 7) % 5, at(k * 23.0))));
    all.push_back(id);
  }
  auto positions = [&](TimePoint now) {
    std::vector<std::size_t> out;
    for (const std::string& id : all) out.push_back(priority.explain(id, now)->position);
    return out;
  };
  const std::vector<std::size_t> at_last_submit = positions(at(40 * 23.0));
  EXPECT_EQ(positions(at(40 * 23.0 + 31)), at_last_submit);
  EXPECT_EQ(positions(at(86'400)), at_last_submit);
}

// Simulates an insight where a priority-10 agenda arrives every 30 s and one agenda is
// admitted every 30 s, so high-priority work never runs out, and returns when the
// priority-0 agenda waiting since time 0 got in (or -1 if not within `horizon` seconds).
double admission_time_of_low_priority(Priority& priority, double horizon) {
  EXPECT_TRUE(priority.add(agenda("low", "slow", 0, 0, at(0))));
  std::int64_t sequence = 0;
  for (int k = 0; k < 5; ++k) {  // a backlog of high-priority work at the start
    ++sequence;
    EXPECT_TRUE(priority.add(agenda(numbered("high", sequence), "fast", sequence, 10)));
  }
  for (double t = 30; t <= horizon; t += 30) {
    ++sequence;
    EXPECT_TRUE(priority.add(agenda(numbered("high", sequence), "fast", sequence, 10, at(t))));
    auto admitted = priority.select(1, at(t));
    if (admitted.at(0).agenda_id == "low") {
      EXPECT_GT(priority.size(), 0u) << "high-priority agendas were still waiting";
      return t;
    }
  }
  return -1;
}

TEST(Priority, AgedLowPriorityAgendaOvertakesArrivingHighPriorityOnes) {
  Priority priority(aging_every(seconds(60)));
  const double admitted_at = admission_time_of_low_priority(priority, 3600);
  // After 10 intervals (600 s) newcomers rank below it; the 5 + 20 agendas ahead of it
  // then drain at one per 30 s.
  EXPECT_GT(admitted_at, 600);
  EXPECT_LE(admitted_at, 30 * 26);
}

TEST(Priority, WithoutAgingTheSameLowPriorityAgendaStarves) {
  Priority priority(aging_every(seconds(1'000'000'000)));
  EXPECT_EQ(admission_time_of_low_priority(priority, 3600), -1);
}

TEST(Priority, RemoveAndReAdd) {
  Priority priority(aging_every(seconds(60)));
  ASSERT_TRUE(priority.add(agenda("a", "x", 1, 5)));
  ASSERT_TRUE(priority.add(agenda("b", "x", 2, 5)));
  ASSERT_TRUE(priority.add(agenda("c", "x", 3, 1)));
  EXPECT_TRUE(priority.remove("a"));
  EXPECT_FALSE(priority.remove("a"));
  ASSERT_TRUE(priority.add(agenda("a", "x", 4, 1)));  // re-queued at a lower priority
  EXPECT_EQ(ids(priority.select(10, at(0))), (std::vector<std::string>{"b", "c", "a"}));
}

TEST(Priority, ExplainGivesEffectivePriorityAndNextTick) {
  Priority priority(aging_every(seconds(60)));
  ASSERT_TRUE(priority.add(agenda("old", "x", 1, 2, at(0))));
  ASSERT_TRUE(priority.add(agenda("new", "y", 2, 4, at(125))));
  // At 130 s: old = 2 + 2 = 4, new = 4 + 0 = 4 (same tick), equal: old was submitted first.
  auto old_explained = priority.explain("old", at(130));
  auto new_explained = priority.explain("new", at(130));
  ASSERT_TRUE(old_explained && new_explained);
  EXPECT_EQ(old_explained->position, 0u);
  EXPECT_EQ(new_explained->position, 1u);
  EXPECT_NE(new_explained->reason.find("priority 4 and effective priority 4"), std::string::npos)
      << new_explained->reason;
  EXPECT_NE(old_explained->reason.find("effective priority 4 (one level gained per 60 s waited, "
                                       "the next in 50 s)"),
            std::string::npos)
      << old_explained->reason;
}

TEST(Priority, ChangingTheAgingIntervalReordersTheBacklog) {
  Priority priority(aging_every(seconds(60)));
  ASSERT_TRUE(priority.add(agenda("low-old", "x", 1, 0, at(0))));
  ASSERT_TRUE(priority.add(agenda("high-new", "x", 2, 5, at(600))));  // low-old aged 10 levels
  EXPECT_EQ(priority.explain("low-old", at(600))->position, 0u);
  ASSERT_TRUE(priority.reconfigure(aging_every(seconds(3600))));  // same hour: no aging yet
  EXPECT_EQ(ids(priority.select(10, at(600))), (std::vector<std::string>{"high-new", "low-old"}));
  EXPECT_FALSE(priority.reconfigure(aging_every(seconds(0))));
}

}  // namespace
}  // namespace pop::scheduler
