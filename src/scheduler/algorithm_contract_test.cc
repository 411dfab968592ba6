// Properties every scheduling algorithm must have, whatever its policy: the contract of
// SchedulingAlgorithm, checked for each built-in algorithm on random workloads.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "scheduler/algorithm_registry.h"
#include "scheduler/scheduler_test_support.h"

namespace pop::scheduler {
namespace {

using test_support::agenda;
using test_support::at;
using test_support::ids;
using test_support::numbered;

AlgorithmConfig mixed_config() {
  AlgorithmConfig config;
  config.customer_weights = {{"c0", 1}, {"c1", 2}, {"c2", 5}, {"c3", 0.5}};
  config.aging_interval = std::chrono::seconds(60);
  return config;
}

// A random but reproducible history of submissions, cancellations (also of agendas the
// algorithm never saw) and selections, with time moving forward.
class Workload {
 public:
  explicit Workload(unsigned seed) : random_(seed) {}

  double now() const { return now_; }
  int submitted() const { return submitted_; }
  TimePoint enqueued_at(const std::string& id) const { return enqueued_at_.at(id); }

  // Applies one step; returns what select() admitted, if it ran.
  std::vector<WaitingAgenda> step(SchedulingAlgorithm& algorithm) {
    now_ += static_cast<double>(random_() % 40);
    const int action = static_cast<int>(random_() % 10);
    if (action < 6) {
      const std::string id = numbered("a", ++submitted_);
      // Sometimes an old sequence, as when the store re-queues an agenda.
      const std::int64_t sequence =
          random_() % 8 == 0 ? static_cast<std::int64_t>(random_() % 50) : 100 + submitted_;
      EXPECT_TRUE(algorithm.add(agenda(id, numbered("c", random_() % 6), sequence,
                                       static_cast<int>(random_() % 6), at(now_))));
      enqueued_at_[id] = at(now_);
    } else if (action < 7) {
      algorithm.remove(numbered("a", 1 + random_() % (submitted_ + 1)));
    } else {
      return algorithm.select(random_() % 3, at(now_));
    }
    return {};
  }

 private:
  std::mt19937 random_;
  double now_ = 0;
  int submitted_ = 0;
  std::map<std::string, TimePoint> enqueued_at_;
};

std::vector<std::string> held_ids(const SchedulingAlgorithm& algorithm, int submitted_up_to) {
  std::vector<std::string> out;
  for (int k = 1; k <= submitted_up_to; ++k) {
    if (algorithm.contains(numbered("a", k))) out.push_back(numbered("a", k));
  }
  return out;
}

class AlgorithmContract : public ::testing::TestWithParam<std::string_view> {
 protected:
  std::unique_ptr<SchedulingAlgorithm> make() const {
    return test_support::make(GetParam(), mixed_config());
  }
};

TEST_P(AlgorithmContract, ReportsItsName) { EXPECT_EQ(make()->name(), GetParam()); }

TEST_P(AlgorithmContract, RejectsDuplicateAndEmptyIds) {
  auto algorithm = make();
  ASSERT_TRUE(algorithm->add(agenda("a", "x", 1)));
  auto duplicate = algorithm->add(agenda("a", "y", 2, 3));
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, ErrorCode::kConflict);
  EXPECT_NE(duplicate.error().message.find("a is already waiting"), std::string::npos);
  auto empty = algorithm->add(agenda("", "x", 3));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(algorithm->size(), 1u);
  auto admitted = algorithm->select(5, at(0));
  ASSERT_EQ(admitted.size(), 1u);
  EXPECT_EQ(admitted[0].customer_id, "x");  // the original, not the rejected duplicate
}

TEST_P(AlgorithmContract, ReturnsAgendasAsTheyWereAdded) {
  auto algorithm = make();
  const WaitingAgenda original =
      agenda("a-long-agenda-id-beyond-small-string-size", "customer-7", 42, -3, at(12.5));
  ASSERT_TRUE(algorithm->add(original));
  auto admitted = algorithm->select(1, at(100));
  ASSERT_EQ(admitted.size(), 1u);
  EXPECT_EQ(admitted[0].agenda_id, original.agenda_id);
  EXPECT_EQ(admitted[0].customer_id, original.customer_id);
  EXPECT_EQ(admitted[0].sequence, original.sequence);
  EXPECT_EQ(admitted[0].priority, original.priority);
  EXPECT_EQ(admitted[0].enqueued_at, original.enqueued_at);
  EXPECT_EQ(algorithm->size(), 0u);
}

TEST_P(AlgorithmContract, SelectsAtMostWhatWaits) {
  auto algorithm = make();
  EXPECT_TRUE(algorithm->select(3, at(0)).empty());
  for (int k = 0; k < 5; ++k) {
    ASSERT_TRUE(algorithm->add(agenda(numbered("a", k), numbered("c", k % 2), k)));
  }
  EXPECT_TRUE(algorithm->select(0, at(0)).empty());
  EXPECT_EQ(algorithm->select(2, at(0)).size(), 2u);
  EXPECT_EQ(algorithm->size(), 3u);
  EXPECT_EQ(algorithm->select(10, at(0)).size(), 3u);
  EXPECT_EQ(algorithm->size(), 0u);
}

TEST_P(AlgorithmContract, RemovedAgendasAreGoneAndCanComeBack) {
  auto algorithm = make();
  for (int k = 0; k < 6; ++k) {
    ASSERT_TRUE(algorithm->add(agenda(numbered("a", k), numbered("c", k % 3), k)));
  }
  EXPECT_TRUE(algorithm->remove("a3"));
  EXPECT_FALSE(algorithm->remove("a3"));
  EXPECT_FALSE(algorithm->remove("never-added"));
  EXPECT_FALSE(algorithm->contains("a3"));
  EXPECT_FALSE(algorithm->explain("a3", at(0)));
  EXPECT_EQ(algorithm->size(), 5u);
  ASSERT_TRUE(algorithm->add(agenda("a3", "c0", 99)));
  const std::vector<std::string> admitted = ids(algorithm->select(10, at(0)));
  EXPECT_EQ(admitted.size(), 6u);
  EXPECT_EQ(std::count(admitted.begin(), admitted.end(), "a3"), 1);
}

TEST_P(AlgorithmContract, RejectsAnInvalidReconfiguration) {
  auto algorithm = make();
  AlgorithmConfig invalid = mixed_config();
  invalid.default_weight = -1;
  auto result = algorithm->reconfigure(invalid);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(algorithm->reconfigure(mixed_config()));
}

// explain() is exact: every held agenda's position is where select() then admits it, and
// admitting k agendas moves every other position up by k.
TEST_P(AlgorithmContract, ExplainedPositionsAreTheAdmissionOrder) {
  for (unsigned seed = 1; seed <= 6; ++seed) {
    auto algorithm = make();
    Workload workload(seed);
    for (int step = 1; step <= 400; ++step) {
      workload.step(*algorithm);
      if (step % 50 != 0) continue;
      const std::vector<std::string> held = held_ids(*algorithm, step);
      ASSERT_EQ(held.size(), algorithm->size());
      std::map<std::size_t, std::string> by_position;
      for (const std::string& id : held) {
        auto explanation = algorithm->explain(id, at(workload.now()));
        ASSERT_TRUE(explanation) << id;
        EXPECT_TRUE(explanation->exact);
        EXPECT_FALSE(explanation->reason.empty());
        ASSERT_TRUE(by_position.emplace(explanation->position, id).second)
            << "two agendas at position " << explanation->position << " (seed " << seed << ")";
      }
      std::vector<std::string> expected;
      for (const auto& [position, id] : by_position) expected.push_back(id);
      if (!expected.empty()) {
        EXPECT_EQ(by_position.rbegin()->first, expected.size() - 1) << "positions have gaps";
      }
      const std::size_t k = std::min<std::size_t>(3, expected.size());
      const std::vector<std::string> first_k = ids(algorithm->select(k, at(workload.now())));
      ASSERT_EQ(first_k, std::vector<std::string>(expected.begin(), expected.begin() + k))
          << "seed " << seed << " step " << step;
      for (std::size_t p = k; p < expected.size(); ++p) {
        ASSERT_EQ(algorithm->explain(expected[p], at(workload.now()))->position, p - k)
            << expected[p] << " seed " << seed << " step " << step;
      }
    }
    const std::vector<std::string> held = held_ids(*algorithm, 400);
    std::vector<std::string> by_explain(held.size());
    for (const std::string& id : held) {
      by_explain.at(algorithm->explain(id, at(workload.now()))->position) = id;
    }
    EXPECT_EQ(ids(algorithm->select(held.size(), at(workload.now()))), by_explain);
  }
}

// select(a) then select(b) admits what select(a + b) would: state carries across calls.
TEST_P(AlgorithmContract, SplittingASelectionChangesNothing) {
  for (unsigned seed = 11; seed <= 14; ++seed) {
    auto split = make();
    auto whole = make();
    Workload split_workload(seed);
    Workload whole_workload(seed);
    for (int step = 0; step < 300; ++step) {
      split_workload.step(*split);
      whole_workload.step(*whole);
    }
    const std::size_t total = whole->size();
    std::vector<std::string> in_pieces;
    for (std::size_t piece = 1; in_pieces.size() < total; piece = piece % 5 + 1) {
      for (const std::string& id : ids(split->select(piece, at(split_workload.now())))) {
        in_pieces.push_back(id);
      }
    }
    EXPECT_EQ(in_pieces, ids(whole->select(total, at(whole_workload.now())))) << "seed " << seed;
  }
}

// The oldest wait is the earliest enqueue time held, to the second, through every change.
TEST_P(AlgorithmContract, KnowsTheOldestEnqueueTimeHeld) {
  auto algorithm = make();
  Workload workload(21);
  for (int step = 0; step < 400; ++step) {
    workload.step(*algorithm);
    std::optional<TimePoint> oldest;
    for (const std::string& id : held_ids(*algorithm, workload.submitted())) {
      const TimePoint at = workload.enqueued_at(id);
      if (!oldest || at < *oldest) oldest = at;
    }
    if (oldest) oldest = std::chrono::floor<std::chrono::seconds>(*oldest);
    ASSERT_EQ(algorithm->oldest_enqueued_at(), oldest) << "step " << step;
  }
}

INSTANTIATE_TEST_SUITE_P(Builtins, AlgorithmContract,
                         ::testing::ValuesIn(algorithm_names().begin(), algorithm_names().end()),
                         [](const auto& param_info) { return std::string(param_info.param); });

}  // namespace
}  // namespace pop::scheduler
