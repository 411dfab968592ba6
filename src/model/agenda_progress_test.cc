#include "model/agenda_progress.h"

#include <gtest/gtest.h>

namespace pop {
namespace {

TEST(Progress, PercentFollowsPopFormula) {
  AgendaProgress progress;
  progress.operations.resize(4);
  progress.operations[0].state = OperationState::kSucceeded;
  progress.operations[1].state = OperationState::kRunning;
  progress.operations[1].percent_complete = 50;
  progress.operations[2].state = OperationState::kRunning;
  progress.operations[2].percent_complete = 250;  // capped at 100
  progress.operations[3].state = OperationState::kFailed;
  progress.recompute_percent();
  EXPECT_DOUBLE_EQ(progress.percent_complete, 62.5);
}

TEST(Progress, JsonRoundTripKeepsEverythingResumeNeeds) {
  AgendaProgress progress;
  progress.agenda_id = "a1";
  progress.state = ProcessingState::kComplete;
  progress.outcome = AgendaOutcome::kFailed;
  progress.started_time = WallTime{std::chrono::milliseconds(1000)};
  progress.completed_time = WallTime{std::chrono::milliseconds(2000)};
  OperationProgress operation;
  operation.operation = "x";
  operation.state = OperationState::kSucceeded;
  operation.result_payload = Json{{"k", Json::array({1, 2})}};
  operation.attempt_count = 2;
  operation.diagnostic_events.push_back(
      {"attempt 1 failed", WallTime{std::chrono::milliseconds(1500)}, "tail\n"});
  progress.operations.push_back(operation);

  const Json json = agenda_progress_to_json(progress);
  EXPECT_EQ(json["processingState"], "COMPLETE");
  EXPECT_EQ(json["processingStateMessage"], "failed");
  EXPECT_EQ(json["operationProgress"][0]["processingStateMessage"], "succeeded");
  EXPECT_EQ(json["operationProgress"][0]["resultPayload"], operation.result_payload);

  auto back = agenda_progress_from_json(json);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->outcome, AgendaOutcome::kFailed);
  ASSERT_EQ(back->operations.size(), 1u);
  EXPECT_EQ(back->operations[0].state, OperationState::kSucceeded);
  EXPECT_EQ(back->operations[0].result_payload, operation.result_payload);
  EXPECT_EQ(back->operations[0].attempt_count, 2);
  EXPECT_EQ(back->operations[0].diagnostic_events[0].log_tail, "tail\n");
  EXPECT_EQ(agenda_progress_to_json(*back), json);
}

TEST(Progress, MalformedDocumentsNameTheField) {
  EXPECT_EQ(
      agenda_progress_from_json(Json::parse(R"({"processingState": "DONE"})")).error().message,
      "processingState must be WAITING, EXECUTING or COMPLETE, not \"DONE\"");
  auto no_name = agenda_progress_from_json(Json::parse(
      R"({"processingState": "COMPLETE", "operationProgress": [{"processingState": "COMPLETE"}]})"));
  EXPECT_EQ(no_name.error().message, "operationProgress[0].operation must be a non-empty string");
  auto wrong_type = agenda_progress_from_json(Json::parse(
      R"({"processingState": "COMPLETE", "operationProgress": [{"operation": "a", "processingState": "COMPLETE", "attemptCount": "x"}]})"));
  ASSERT_FALSE(wrong_type.has_value());
  EXPECT_EQ(wrong_type.error().message,
            "operationProgress[0].attemptCount must be a number from 0 to 1000000");
  auto huge = agenda_progress_from_json(Json::parse(
      R"({"processingState": "COMPLETE", "operationProgress": [{"operation": "a", "processingState": "COMPLETE", "attemptCount": 1e30}]})"));
  EXPECT_FALSE(huge.has_value());
}

}  // namespace
}  // namespace pop
