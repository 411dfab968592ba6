#include "runner/kubernetes/pod_completion.h"

#include <gtest/gtest.h>

#include <string>

namespace pop::kubernetes_runner {
namespace {

Outcome ended_with(int exit_code, std::string termination_message = {}) {
  Outcome outcome;
  outcome.state.started = true;
  outcome.state.ended = true;
  outcome.state.exit_code = exit_code;
  outcome.state.termination_message = std::move(termination_message);
  return outcome;
}

TEST(PodCompletion, ExitZeroWithItsOutputSucceeds) {
  const HandlerResult result =
      result_of_pod(ended_with(0, R"({"answer": 42})"), Termination::kNone);
  EXPECT_TRUE(result.succeeded);
  EXPECT_FALSE(result.terminated);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output, Json({{"answer", 42}}));
  EXPECT_EQ(result.message, "");
}

TEST(PodCompletion, AnOutputThatIsNotJsonFailsTheAttempt) {
  const HandlerResult result = result_of_pod(ended_with(0, "{not json"), Termination::kNone);
  EXPECT_FALSE(result.succeeded);
  EXPECT_TRUE(result.message.starts_with("the output (the termination message at "))
      << result.message;
  EXPECT_EQ(result.message.find("4096"), std::string::npos) << result.message;

  const HandlerResult cut = result_of_pod(ended_with(0, "[" + std::string(4095, '1')), {});
  EXPECT_NE(cut.message.find("Kubernetes keeps at most 4096 bytes"), std::string::npos);
}

TEST(PodCompletion, ANonZeroExitNamesItsStatusAndHowThePodFailed) {
  Outcome outcome = ended_with(3);
  outcome.state.failure_message = "OOMKilled";
  const HandlerResult result = result_of_pod(outcome, Termination::kNone);
  EXPECT_FALSE(result.succeeded);
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.message, "exited with status 3: OOMKilled");

  Outcome deleted = ended_with(1);
  deleted.state.being_deleted = true;
  EXPECT_EQ(result_of_pod(deleted, Termination::kNone).message,
            "exited with status 1 (the Pod was being deleted by someone else)");
}

TEST(PodCompletion, AFailureWithoutAnEndIsTheMessageAndTerminationIsSaid) {
  Outcome outcome;
  outcome.failure = "the Pod was deleted";
  const HandlerResult result = result_of_pod(outcome, Termination::kShutdown);
  EXPECT_FALSE(result.succeeded);
  EXPECT_TRUE(result.terminated);
  EXPECT_EQ(result.exit_code, std::nullopt);
  EXPECT_EQ(result.message, "terminated by runner shutdown: the Pod was deleted");

  const HandlerResult requested = result_of_pod(ended_with(143), Termination::kRequested);
  EXPECT_TRUE(requested.terminated);
  EXPECT_EQ(requested.message, "terminated after request: exited with status 143");
}

TEST(PodCompletion, ASuccessDespiteATerminationRequestStaysASuccess) {
  const HandlerResult result = result_of_pod(ended_with(0), Termination::kRequested);
  EXPECT_TRUE(result.succeeded);
  EXPECT_TRUE(result.terminated);
  EXPECT_EQ(result.message, "");
}

}  // namespace
}  // namespace pop::kubernetes_runner
