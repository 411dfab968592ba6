#include "model/operation_state.h"

#include <gtest/gtest.h>

namespace pop {
namespace {

using S = OperationState;

TEST(OperationState, TerminalStatesAreFinal) {
  for (S from : {S::kSucceeded, S::kFailed, S::kCancelled}) {
    for (S to : {S::kPending, S::kRunning, S::kRetrying, S::kSucceeded, S::kFailed, S::kCancelled})
      EXPECT_FALSE(can_transition(from, to));
  }
}

TEST(OperationState, RetryLoopAndItsExits) {
  EXPECT_TRUE(can_transition(S::kPending, S::kRunning));
  EXPECT_TRUE(can_transition(S::kRunning, S::kRetrying));
  EXPECT_TRUE(can_transition(S::kRetrying, S::kRunning));
  EXPECT_TRUE(can_transition(S::kRetrying, S::kCancelled));
  EXPECT_FALSE(can_transition(S::kPending, S::kSucceeded));
  EXPECT_FALSE(can_transition(S::kRetrying, S::kSucceeded));
}

TEST(OperationState, PopVocabularyRoundTrips) {
  for (S state :
       {S::kPending, S::kRunning, S::kRetrying, S::kSucceeded, S::kFailed, S::kCancelled}) {
    auto back = parse_operation_state(processing_state_name(processing_state_of(state)),
                                      state_message_of(state));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, state);
  }
  EXPECT_FALSE(parse_operation_state("DONE", "succeeded").has_value());
}

}  // namespace
}  // namespace pop
