#include "service/events/last_seen_progress.h"

#include <gtest/gtest.h>

namespace pop::service {
namespace {

AgendaProgress progress_of(std::vector<std::pair<OperationState, int>> operations,
                           double percent = 0) {
  AgendaProgress progress;
  int index = 0;
  for (const auto& [state, attempts] : operations) {
    OperationProgress operation;
    operation.operation = "op" + std::to_string(index++);
    operation.state = state;
    operation.attempt_count = attempts;
    progress.operations.push_back(operation);
  }
  progress.percent_complete = percent;
  return progress;
}

AgendaIdentity identity_of(const std::string& id) { return {id, "cust", "pool", "insight"}; }

TEST(LastSeenProgressTest, TellsTheOperationsWhoseStateOrAttemptChanged) {
  LastSeenProgress seen(100);
  using S = OperationState;
  auto first =
      seen.update(identity_of("a"), progress_of({{S::kRunning, 1}, {S::kPending, 0}}, 10), nullptr);
  ASSERT_EQ(first.operations.size(), 1u);
  EXPECT_EQ(first.operations[0].operation, "op0");
  EXPECT_FALSE(first.operations[0].previous);  // nothing was seen before
  EXPECT_TRUE(first.percent_moved);
  // A second attempt started between two reports: same state, a new attempt.
  auto second = seen.update(identity_of("a"),
                            progress_of({{S::kRunning, 2}, {S::kPending, 0}}, 10.5), nullptr);
  ASSERT_EQ(second.operations.size(), 1u);
  EXPECT_EQ(second.operations[0].attempt, 2);
  EXPECT_FALSE(second.percent_moved);
  auto same = seen.update(identity_of("a"), progress_of({{S::kRunning, 2}, {S::kPending, 0}}, 10.7),
                          nullptr);
  EXPECT_TRUE(same.operations.empty());
}

TEST(LastSeenProgressTest, ForgetsTheOldestAgendasBeyondItsBudgetAndThenUsesTheStoredOne) {
  LastSeenProgress seen(3);
  using S = OperationState;
  seen.remember(identity_of("a"), seen_of(progress_of({{S::kRunning, 1}, {S::kPending, 0}})));
  seen.remember(identity_of("b"), seen_of(progress_of({{S::kRunning, 1}, {S::kPending, 0}})));
  EXPECT_FALSE(seen.identity("a"));
  EXPECT_EQ(seen.identity("b")->customer_id, "cust");
  // "a" is compared with what the store holds instead.
  const AgendaProgress stored = progress_of({{S::kSucceeded, 1}, {S::kRunning, 1}});
  auto changes =
      seen.update(identity_of("a"), progress_of({{S::kSucceeded, 1}, {S::kSucceeded, 1}}), &stored);
  ASSERT_EQ(changes.operations.size(), 1u);
  EXPECT_EQ(changes.operations[0].operation, "op1");
  EXPECT_FALSE(seen.identity("b"));  // made room for "a"
}

}  // namespace
}  // namespace pop::service
