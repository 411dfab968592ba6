#include "kubernetes/pod_status.h"

#include <gtest/gtest.h>

namespace pop::kubernetes {
using Json = nlohmann::json;

namespace {

// A Pod of image "registry.example/h:1" with the given status.
Json pod(Json status) {
  return {
      {"metadata", {{"name", "p"}}},
      {"spec",
       {{"containers", Json::array({{{"name", "handler"}, {"image", "registry.example/h:1"}}})}}},
      {"status", std::move(status)}};
}

PodState read_handler_pod(const Json& pod) { return read_pod_state(pod, "handler"); }

Json with_container_state(const char* phase, Json state) {
  return pod(
      {{"phase", phase},
       {"containerStatuses", Json::array({{{"name", "handler"}, {"state", std::move(state)}}})}});
}

TEST(PodStatus, JustCreated) {
  const PodState state = read_handler_pod(Json{{"metadata", {{"name", "p"}}}});
  EXPECT_EQ(state.phase, PodState::Phase::kPending);
  EXPECT_FALSE(state.started);
  EXPECT_FALSE(state.ended);
  EXPECT_FALSE(state.fatal);
  EXPECT_FALSE(state.unschedulable);
  EXPECT_FALSE(state.being_deleted);
}

TEST(PodStatus, CreatingAContainerIsPendingWithAReason) {
  const PodState state = read_handler_pod(
      with_container_state("Pending", {{"waiting", {{"reason", "ContainerCreating"}}}}));
  EXPECT_FALSE(state.started);
  EXPECT_FALSE(state.fatal);
  EXPECT_EQ(state.pending_reason, "ContainerCreating");
}

TEST(PodStatus, Running) {
  const PodState state = read_handler_pod(
      with_container_state("Running", {{"running", {{"startedAt", "2026-01-01T00:00:00Z"}}}}));
  EXPECT_EQ(state.phase, PodState::Phase::kRunning);
  EXPECT_TRUE(state.started);
  EXPECT_FALSE(state.ended);
}

TEST(PodStatus, SucceededWithATerminationMessage) {
  const PodState state = read_handler_pod(with_container_state(
      "Succeeded",
      {{"terminated", {{"exitCode", 0}, {"reason", "Completed"}, {"message", R"({"x":1})"}}}}));
  EXPECT_EQ(state.phase, PodState::Phase::kSucceeded);
  EXPECT_TRUE(state.started);
  EXPECT_TRUE(state.ended);
  EXPECT_EQ(state.exit_code, 0);
  EXPECT_EQ(state.termination_message, R"({"x":1})");
  EXPECT_EQ(state.termination_reason, "Completed");
  EXPECT_FALSE(state.fatal);
}

TEST(PodStatus, FailedWithAnExitCode) {
  const PodState state = read_handler_pod(
      with_container_state("Failed", {{"terminated", {{"exitCode", 3}, {"reason", "Error"}}}}));
  EXPECT_EQ(state.phase, PodState::Phase::kFailed);
  EXPECT_TRUE(state.ended);
  EXPECT_EQ(state.exit_code, 3);
  EXPECT_FALSE(state.fatal);  // it ended: the exit code is the story
}

TEST(PodStatus, AnExitCodeOutOfRangeIsNoExitCode) {
  // Not wrapped to 0, which would read a failure as a success.
  const PodState state = read_handler_pod(with_container_state(
      "Failed", {{"terminated", {{"exitCode", 4294967296ULL}, {"reason", "Error"}}}}));
  EXPECT_TRUE(state.ended);
  EXPECT_EQ(state.exit_code, std::nullopt);
}

TEST(PodStatus, SucceededWithoutContainerDetails) {
  const PodState state = read_handler_pod(pod({{"phase", "Succeeded"}}));
  EXPECT_TRUE(state.ended);
  EXPECT_EQ(state.exit_code, 0);
}

TEST(PodStatus, OomKilled) {
  const PodState state = read_handler_pod(with_container_state(
      "Failed", {{"terminated", {{"exitCode", 137}, {"reason", "OOMKilled"}}}}));
  EXPECT_TRUE(state.ended);
  EXPECT_EQ(state.exit_code, 137);
  EXPECT_EQ(state.failure_message,
            "the handler was killed for exceeding its memory limit (OOMKilled)");
}

TEST(PodStatus, ImageAndContainerFailuresAreFatalAndNameTheImage) {
  struct Case {
    const char* reason;
    const char* expected;
  };
  const Case cases[] = {
      {"ErrImagePull", "cannot pull image \"registry.example/h:1\" (ErrImagePull): detail"},
      {"ImagePullBackOff", "cannot pull image \"registry.example/h:1\" (ImagePullBackOff): detail"},
      {"InvalidImageName",
       "invalid image name \"registry.example/h:1\" (InvalidImageName): detail"},
      {"CreateContainerConfigError",
       "cannot create the handler container from image \"registry.example/h:1\" "
       "(CreateContainerConfigError): detail"},
      {"CreateContainerError",
       "cannot create the handler container from image \"registry.example/h:1\" "
       "(CreateContainerError): detail"},
      {"CrashLoopBackOff", "the handler container keeps crashing (CrashLoopBackOff): detail"},
  };
  for (const Case& c : cases) {
    const PodState state = read_handler_pod(with_container_state(
        "Pending", {{"waiting", {{"reason", c.reason}, {"message", "detail"}}}}));
    ASSERT_TRUE(state.fatal) << c.reason;
    EXPECT_EQ(*state.fatal, c.expected);
    EXPECT_EQ(state.pending_reason, std::string(c.reason) + ": detail");
  }
}

TEST(PodStatus, Unschedulable) {
  const PodState state = read_handler_pod(
      pod({{"phase", "Pending"},
           {"conditions",
            Json::array({{{"type", "PodScheduled"},
                          {"status", "False"},
                          {"reason", "Unschedulable"},
                          {"message", "0/3 nodes are available: 3 Insufficient cpu."}}})}}));
  ASSERT_TRUE(state.unschedulable);
  EXPECT_EQ(*state.unschedulable,
            "the Pod cannot be scheduled (Unschedulable): 0/3 nodes are available: 3 "
            "Insufficient cpu.");
  EXPECT_FALSE(state.fatal);  // the runner decides, after its grace
  EXPECT_EQ(state.pending_reason, "Unschedulable: 0/3 nodes are available: 3 Insufficient cpu.");
}

TEST(PodStatus, ScheduledIsNotUnschedulable) {
  const PodState state = read_handler_pod(
      pod({{"phase", "Pending"},
           {"conditions", Json::array({{{"type", "PodScheduled"}, {"status", "True"}}})}}));
  EXPECT_FALSE(state.unschedulable);
}

TEST(PodStatus, Evicted) {
  const PodState state =
      read_handler_pod(pod({{"phase", "Failed"},
                            {"reason", "Evicted"},
                            {"message", "The node was low on resource: memory."}}));
  ASSERT_TRUE(state.fatal);
  EXPECT_EQ(*state.fatal, "the Pod was evicted: The node was low on resource: memory.");
  EXPECT_EQ(state.failure_message, *state.fatal);
}

TEST(PodStatus, DeadlineExceeded) {
  const PodState state =
      read_handler_pod(pod({{"phase", "Failed"}, {"reason", "DeadlineExceeded"}}));
  ASSERT_TRUE(state.fatal);
  EXPECT_EQ(*state.fatal, "the Pod exceeded its activeDeadlineSeconds (DeadlineExceeded)");
}

TEST(PodStatus, BeingDeleted) {
  Json p = with_container_state("Running", {{"running", Json::object()}});
  p["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  EXPECT_TRUE(read_handler_pod(p).being_deleted);
}

TEST(PodStatus, PicksTheNamedContainer) {
  const Json two =
      pod({{"phase", "Running"},
           {"containerStatuses",
            Json::array({{{"name", "sidecar"}, {"state", {{"running", Json::object()}}}},
                         {{"name", "handler"}, {"state", {{"terminated", {{"exitCode", 4}}}}}}})}});
  const PodState state = read_handler_pod(two);
  EXPECT_TRUE(state.ended);
  EXPECT_EQ(state.exit_code, 4);
  EXPECT_FALSE(read_pod_state(two, "sidecar").ended);
}

}  // namespace
}  // namespace pop::kubernetes
