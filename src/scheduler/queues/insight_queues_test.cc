#include "scheduler/queues/insight_queues.h"

#include <gtest/gtest.h>

namespace pop::scheduler {
namespace {

const TimePoint kNow{std::chrono::hours(1000)};

Insight insight(std::string id, int queue_size, std::string algorithm = "fifo") {
  Insight out;
  out.id = std::move(id);
  out.resource_pool_id = "pool";
  out.queue_size = queue_size;
  out.scheduling_algorithm = std::move(algorithm);
  return out;
}

scheduler::WaitingAgenda waiting(std::string id, std::int64_t sequence, std::string customer = "c",
                                 int priority = 0) {
  return {std::move(id), std::move(customer), sequence, priority, kNow};
}

std::vector<std::string> ids(const std::vector<ReadyAgenda>& agendas) {
  std::vector<std::string> out;
  for (const auto& ready : agendas) out.push_back(ready.agenda.agenda_id);
  return out;
}

class InsightQueuesTest : public ::testing::Test {
 protected:
  InsightQueuesTest()
      : queues_([this](const std::string& pool, const std::string& insight) {
          woken_.push_back(insight);
          pools_woken_.push_back(pool);
        }) {}
  void clear_woken() {
    woken_.clear();
    pools_woken_.clear();
  }
  std::vector<std::string> woken_;        // the insight of each wake-up
  std::vector<std::string> pools_woken_;  // ... and its pool
  InsightQueues queues_;
};

TEST_F(InsightQueuesTest, ReadyQueueIsKeptQueueSizeDeep) {
  ASSERT_TRUE(queues_.configure(insight("i", 2), {}, kNow));
  for (int n = 1; n <= 5; ++n)
    ASSERT_TRUE(queues_.enqueue("i", waiting("a" + std::to_string(n), n), kNow));
  EXPECT_EQ(queues_.ready_count("i"), 2u);
  EXPECT_EQ(queues_.waiting_count("i"), 3u);
  const std::vector<QueueDepth> depths = queues_.depths();
  ASSERT_EQ(depths.size(), 1u);
  EXPECT_EQ(depths[0].insight_id, "i");
  EXPECT_EQ(depths[0].resource_pool_id, insight("i", 2).resource_pool_id);
  EXPECT_EQ(depths[0].waiting, 3u);
  EXPECT_EQ(depths[0].ready, 2u);
  EXPECT_EQ(woken_, (std::vector<std::string>{"i", "i"}));  // only while the ready queue grew
  const std::string insight_ids[] = {"i"};
  EXPECT_EQ(ids(queues_.take(insight_ids, 3, kNow)), (std::vector<std::string>{"a1", "a2", "a3"}));
  EXPECT_EQ(queues_.ready_count("i"), 2u);
  EXPECT_EQ(queues_.waiting_count("i"), 0u);
  EXPECT_EQ(ids(queues_.take(insight_ids, 10, kNow)), (std::vector<std::string>{"a4", "a5"}));
  EXPECT_TRUE(queues_.take(insight_ids, 10, kNow).empty());
}

// The oldest wait covers both the ready queue and the algorithm's backlog, and goes when the
// agenda that had it is taken; admissions are the algorithm's decisions, counted.
TEST_F(InsightQueuesTest, DepthsTellTheOldestWaitAndTheAdmissions) {
  ASSERT_TRUE(queues_.configure(insight("i", 1), {}, kNow));
  EXPECT_FALSE(queues_.depths()[0].oldest_enqueued_at.has_value());
  const auto at = [](int seconds_ago) { return kNow - std::chrono::seconds(seconds_ago); };
  ASSERT_TRUE(queues_.enqueue("i", {"ready-one", "c", 1, 0, at(10)}, kNow));
  ASSERT_TRUE(queues_.enqueue("i", {"older", "c", 2, 0, at(40)}, kNow));
  ASSERT_TRUE(queues_.enqueue("i", {"newer", "c", 3, 0, at(5)}, kNow));
  QueueDepth depth = queues_.depths()[0];
  EXPECT_EQ(depth.oldest_enqueued_at, at(40));
  EXPECT_EQ(depth.algorithm, "fifo");
  EXPECT_EQ(depth.admitted, 1u);

  const std::string insight_ids[] = {"i"};
  ASSERT_EQ(ids(queues_.take(insight_ids, 1, kNow)), (std::vector<std::string>{"ready-one"}));
  ASSERT_EQ(ids(queues_.take(insight_ids, 1, kNow)), (std::vector<std::string>{"older"}));
  depth = queues_.depths()[0];
  EXPECT_EQ(depth.oldest_enqueued_at, at(5));
  EXPECT_EQ(depth.admitted, 3u);
}

// Another server took the pool's queues over: what was queued goes, the pool's waiting pulls
// hear of it, and nothing comes back (a pull in flight putting agendas back, a late enqueue)
// until the pool is this server's again.
TEST_F(InsightQueuesTest, AClearedPoolTakesNothingBackUntilItIsOpenedAgain) {
  ASSERT_TRUE(queues_.configure(insight("i", 1), {}, kNow));
  for (int n = 1; n <= 3; ++n)
    ASSERT_TRUE(queues_.enqueue("i", waiting("a" + std::to_string(n), n), kNow));
  const std::string insight_ids[] = {"i"};
  auto taken = queues_.take(insight_ids, 1, kNow);
  ASSERT_EQ(taken.size(), 1u);
  clear_woken();
  EXPECT_EQ(queues_.clear_pool("pool"), 2u);
  EXPECT_EQ(pools_woken_, (std::vector<std::string>{"pool"}));
  EXPECT_TRUE(queues_.put_back(std::move(taken.front())));
  EXPECT_TRUE(queues_.enqueue("i", waiting("late", 9), kNow));
  EXPECT_EQ(queues_.ready_count("i") + queues_.waiting_count("i"), 0u);
  EXPECT_EQ(queues_.waiting_of_customer("c"), 0u);
  EXPECT_EQ(queues_.pool_of("i"), "pool");

  queues_.open_pool("pool");
  ASSERT_TRUE(queues_.enqueue("i", waiting("a1", 1), kNow));
  EXPECT_EQ(ids(queues_.take(insight_ids, 5, kNow)), (std::vector<std::string>{"a1"}));
}

TEST_F(InsightQueuesTest, TakeVisitsInsightsInTurn) {
  ASSERT_TRUE(queues_.configure(insight("x", 5), {}, kNow));
  ASSERT_TRUE(queues_.configure(insight("y", 5), {}, kNow));
  for (int n = 1; n <= 3; ++n) {
    ASSERT_TRUE(queues_.enqueue("x", waiting("x" + std::to_string(n), n), kNow));
    ASSERT_TRUE(queues_.enqueue("y", waiting("y" + std::to_string(n), 10 + n), kNow));
  }
  const std::string insight_ids[] = {"x", "y"};
  EXPECT_EQ(ids(queues_.take(insight_ids, 4, kNow)),
            (std::vector<std::string>{"x1", "y1", "x2", "y2"}));
  // The next pull starts from the other insight.
  const auto taken = queues_.take(insight_ids, 1, kNow);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].insight_id, "y");
  EXPECT_EQ(taken[0].agenda.agenda_id, "y3");
  EXPECT_EQ(taken[0].agenda.sequence, 13);
  EXPECT_EQ(ids(queues_.take(insight_ids, 5, kNow)), (std::vector<std::string>{"x3"}));
}

TEST_F(InsightQueuesTest, ForgetFromReadyRefillsFromWaiting) {
  ASSERT_TRUE(queues_.configure(insight("i", 1), {}, kNow));
  ASSERT_TRUE(queues_.enqueue("i", waiting("first", 1), kNow));
  ASSERT_TRUE(queues_.enqueue("i", waiting("second", 2), kNow));
  ASSERT_TRUE(queues_.enqueue("i", waiting("third", 3), kNow));
  EXPECT_TRUE(queues_.forget("third", kNow));  // waiting
  EXPECT_TRUE(queues_.forget("first", kNow));  // ready: second moves up
  EXPECT_FALSE(queues_.forget("first", kNow));
  const std::string insight_ids[] = {"i"};
  EXPECT_EQ(ids(queues_.take(insight_ids, 5, kNow)), (std::vector<std::string>{"second"}));
}

TEST_F(InsightQueuesTest, EnqueueErrors) {
  EXPECT_EQ(queues_.enqueue("none", waiting("a", 1), kNow).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(queues_.configure(insight("i", 1), {}, kNow));
  ASSERT_TRUE(queues_.enqueue("i", waiting("a", 1), kNow));
  EXPECT_EQ(queues_.enqueue("i", waiting("a", 2), kNow).error().code, ErrorCode::kConflict);
  EXPECT_EQ(queues_.configure(insight("j", 1, "lottery"), {}, kNow).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_F(InsightQueuesTest, ExplainNamesReadyAndWaitingPositions) {
  ASSERT_TRUE(queues_.configure(insight("i", 2), {}, kNow));
  for (int n = 1; n <= 4; ++n)
    ASSERT_TRUE(queues_.enqueue("i", waiting("a" + std::to_string(n), n), kNow));
  auto ready = queues_.explain("a2", kNow);
  ASSERT_TRUE(ready);
  EXPECT_TRUE(ready->ready);
  EXPECT_EQ(ready->position, 1u);
  auto waiting_one = queues_.explain("a4", kNow);
  ASSERT_TRUE(waiting_one);
  EXPECT_FALSE(waiting_one->ready);
  EXPECT_EQ(waiting_one->position, 3u);
  EXPECT_EQ(waiting_one->algorithm, "fifo");
  EXPECT_NE(waiting_one->reason.find("ready queue is full (2 of 2)"), std::string::npos)
      << waiting_one->reason;
  EXPECT_FALSE(queues_.explain("nope", kNow));
}

TEST_F(InsightQueuesTest, SwitchingAlgorithmKeepsTheAgendas) {
  ASSERT_TRUE(queues_.configure(insight("i", 1), {}, kNow));
  ASSERT_TRUE(queues_.enqueue("i", waiting("low", 1, "c", 0), kNow));
  ASSERT_TRUE(queues_.enqueue("i", waiting("old-low", 2, "c", 0), kNow));
  ASSERT_TRUE(queues_.enqueue("i", waiting("high", 3, "c", 9), kNow));
  ASSERT_TRUE(queues_.configure(insight("i", 1, "priority"), {}, kNow));
  const std::string insight_ids[] = {"i"};
  // "low" was already ready; the rest now leave by priority.
  EXPECT_EQ(ids(queues_.take(insight_ids, 3, kNow)),
            (std::vector<std::string>{"low", "high", "old-low"}));
}

TEST_F(InsightQueuesTest, RemoveInsightReturnsWhatItHeld) {
  ASSERT_TRUE(queues_.configure(insight("i", 1), {}, kNow));
  ASSERT_TRUE(queues_.enqueue("i", waiting("a", 1), kNow));
  ASSERT_TRUE(queues_.enqueue("i", waiting("b", 2), kNow));
  auto dropped = queues_.remove_insight("i");
  std::sort(dropped.begin(), dropped.end());
  EXPECT_EQ(dropped, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(queues_.forget("a", kNow));
}

TEST_F(InsightQueuesTest, ASmallerQueueSizePutsReadyAgendasBackInOrder) {
  ASSERT_TRUE(queues_.configure(insight("i", 3), {}, kNow));
  for (int n = 1; n <= 5; ++n)
    ASSERT_TRUE(queues_.enqueue("i", waiting("a" + std::to_string(n), n), kNow));
  ASSERT_EQ(queues_.ready_count("i"), 3u);
  ASSERT_TRUE(queues_.configure(insight("i", 1), {}, kNow));
  EXPECT_EQ(queues_.ready_count("i"), 1u);
  EXPECT_EQ(queues_.waiting_count("i"), 4u);
  // Also across a change of algorithm.
  ASSERT_TRUE(queues_.configure(insight("i", 3), {}, kNow));
  ASSERT_TRUE(queues_.configure(insight("i", 2, "priority"), {}, kNow));
  EXPECT_EQ(queues_.ready_count("i"), 2u);
  const std::string insight_ids[] = {"i"};
  EXPECT_EQ(ids(queues_.take(insight_ids, 10, kNow)),
            (std::vector<std::string>{"a1", "a2", "a3", "a4", "a5"}));
}

TEST_F(InsightQueuesTest, RemoveIfIdleKeepsAQueueThatHoldsAgendas) {
  ASSERT_TRUE(queues_.configure(insight("i", 1), {}, kNow));
  ASSERT_TRUE(queues_.enqueue("i", waiting("a1", 1), kNow));
  ASSERT_TRUE(queues_.enqueue("i", waiting("a2", 2), kNow));
  EXPECT_EQ(queues_.remove_insight_if_idle("i"), 2u);
  EXPECT_EQ(queues_.insights().size(), 1u);
  const std::string insight_ids[] = {"i"};
  EXPECT_EQ(queues_.take(insight_ids, 10, kNow).size(), 2u);
  EXPECT_EQ(queues_.remove_insight_if_idle("i"), 0u);
  EXPECT_TRUE(queues_.insights().empty());
  EXPECT_EQ(queues_.enqueue("i", waiting("a3", 3), kNow).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(queues_.remove_insight_if_idle("never-there"), 0u);
}

TEST_F(InsightQueuesTest, MovingToAnotherPoolWakesItsPullers) {
  ASSERT_TRUE(queues_.configure(insight("i", 1), {}, kNow));
  ASSERT_TRUE(queues_.enqueue("i", waiting("a1", 1), kNow));
  clear_woken();
  Insight moved = insight("i", 1);
  moved.resource_pool_id = "other";
  ASSERT_TRUE(queues_.configure(moved, {}, kNow));
  EXPECT_EQ(woken_, (std::vector<std::string>{"i"}));
  EXPECT_EQ(pools_woken_, (std::vector<std::string>{"other"}));
  EXPECT_TRUE(queues_.insights_of_pool("pool").empty());
  EXPECT_EQ(queues_.insights_of_pool("other"), (std::vector<std::string>{"i"}));
}

TEST_F(InsightQueuesTest, TakingWakesNobodyAndAPutBackRestoresTheQueueSilently) {
  ASSERT_TRUE(queues_.configure(insight("i", 2), {}, kNow));
  for (int n = 1; n <= 4; ++n)
    ASSERT_TRUE(queues_.enqueue("i", waiting("a" + std::to_string(n), n), kNow));
  clear_woken();
  const std::string insight_ids[] = {"i"};
  auto taken = queues_.take(insight_ids, 2, kNow);
  ASSERT_EQ(ids(taken), (std::vector<std::string>{"a1", "a2"}));
  EXPECT_TRUE(woken_.empty());  // the refills are the taker's to announce
  // Back in the reverse order of the take: the queue is as before, and since nobody else
  // looked meanwhile, nobody is told (a puller that cannot take them must not be woken by
  // its own put-backs).
  ASSERT_TRUE(queues_.put_back(std::move(taken[1])));
  ASSERT_TRUE(queues_.put_back(std::move(taken[0])));
  EXPECT_TRUE(woken_.empty());
  EXPECT_EQ(queues_.ready_count("i"), 2u);
  EXPECT_EQ(queues_.waiting_count("i"), 2u);
  EXPECT_EQ(queues_.explain("a1", kNow)->position, 0u);
  EXPECT_TRUE(queues_.explain("a2", kNow)->ready);
  EXPECT_EQ(queues_.put_back(ReadyAgenda{"i", waiting("a1", 1), 0}).error().code,
            ErrorCode::kConflict);
  EXPECT_EQ(queues_.put_back(ReadyAgenda{"gone", waiting("z", 9), 0}).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(ids(queues_.take(insight_ids, 10, kNow)),
            (std::vector<std::string>{"a1", "a2", "a3", "a4"}));
}

TEST_F(InsightQueuesTest, APutBackIsAnnouncedWhenAnotherTakeLookedMeanwhile) {
  ASSERT_TRUE(queues_.configure(insight("i", 1), {}, kNow));
  ASSERT_TRUE(queues_.enqueue("i", waiting("a1", 1), kNow));
  clear_woken();
  const std::string insight_ids[] = {"i"};
  auto taken = queues_.take(insight_ids, 1, kNow);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_TRUE(queues_.take(insight_ids, 1, kNow).empty());  // another puller found nothing
  ASSERT_TRUE(queues_.put_back(std::move(taken[0])));
  EXPECT_EQ(woken_, (std::vector<std::string>{"i"}));
  EXPECT_EQ(pools_woken_, (std::vector<std::string>{"pool"}));
}

TEST_F(InsightQueuesTest, AnnounceReadyNamesTheQueuesThatTakingRefilled) {
  ASSERT_TRUE(queues_.configure(insight("i", 1), {}, kNow));
  ASSERT_TRUE(queues_.configure(insight("j", 1), {}, kNow));
  ASSERT_TRUE(queues_.enqueue("i", waiting("a1", 1), kNow));
  ASSERT_TRUE(queues_.enqueue("i", waiting("a2", 2), kNow));
  ASSERT_TRUE(queues_.enqueue("j", waiting("b1", 3), kNow));
  const std::string insight_ids[] = {"i", "j"};
  ASSERT_EQ(queues_.take(insight_ids, 2, kNow).size(), 2u);  // a1 (a2 refills), b1
  clear_woken();
  queues_.announce_ready({"i", "j", "unknown"});
  EXPECT_EQ(woken_, (std::vector<std::string>{"i"}));  // j gained nothing
  queues_.announce_ready({"i"});
  EXPECT_EQ(woken_.size(), 1u);  // once
}

TEST_F(InsightQueuesTest, CapacityIsAnnouncedToThePoolsHoldingAgendasPutBackForIt) {
  Insight other = insight("o", 1);
  other.resource_pool_id = "other";
  ASSERT_TRUE(queues_.configure(insight("i", 1), {}, kNow));
  ASSERT_TRUE(queues_.configure(other, {}, kNow));
  ASSERT_TRUE(queues_.enqueue("i", waiting("a1", 1), kNow));
  ASSERT_TRUE(queues_.enqueue("o", waiting("b1", 2), kNow));
  queues_.announce_capacity();
  clear_woken();
  const std::string insight_ids[] = {"i"};
  auto taken = queues_.take(insight_ids, 1, kNow);
  ASSERT_EQ(taken.size(), 1u);
  ASSERT_TRUE(queues_.put_back(std::move(taken[0]), /*until_capacity=*/true));
  EXPECT_TRUE(woken_.empty());
  queues_.announce_capacity();
  EXPECT_EQ(pools_woken_, (std::vector<std::string>{"pool"}));
  EXPECT_EQ(woken_, (std::vector<std::string>{""}));
  queues_.announce_capacity();  // once per put-back
  EXPECT_EQ(woken_.size(), 1u);
}

}  // namespace
}  // namespace pop::scheduler
