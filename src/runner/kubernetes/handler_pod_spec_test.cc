#include "runner/kubernetes/handler_pod_spec.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "kubernetes/labels.h"

namespace pop::kubernetes_runner {
using Json = nlohmann::json;
// The Pod is read in the API client's vocabulary.
using namespace kubernetes;

namespace {

LaunchRequest request() {
  LaunchRequest r;
  r.agenda_id = "agenda-1";
  r.operation_name = "Build Image";
  r.operation_type = "builder";
  r.customer_id = "Customer A";
  r.resource_pool_id = "pool-1";
  r.insight_id = "fast lane";
  r.attempt = 2;
  r.payload = {{"x", 1}};
  r.handler.command = {"pop", "handler", "sample"};
  r.handler.env = {{"EXTRA", "1"}, {"POP_PAYLOAD", "spoofed"}};
  r.handler.timeout_seconds = 100;
  r.handler.termination_grace_seconds = 5;
  r.handler.container.image = "registry.example/builder:1.2";
  r.handler.container.image_pull_policy = "IfNotPresent";
  r.handler.container.cpu_request = 0.25;
  r.handler.container.cpu_limit = 2;
  r.handler.container.memory_bytes = 512ll << 20;
  r.handler.container.node_selector = {{"pool", "batch"}};
  r.handler.container.tolerations =
      Json::array({{{"key", "dedicated"}, {"operator", "Equal"}, {"value", "pop"}}});
  r.handler.container.service_account_name = "pop-handler";
  r.report_url = "https://pop.example/v1/reports";
  r.report_token = "popr1.x.y";
  return r;
}

std::map<std::string, std::string> env_of(const Json& container) {
  std::map<std::string, std::string> env;
  for (const Json& variable : container["env"]) {
    env[variable["name"].get<std::string>()] = variable["value"].get<std::string>();
  }
  return env;
}

TEST(PodSpec, BuildsTheHandlerPod) {
  PodSpecOptions options;
  options.default_namespace = "pop";
  options.runner_instance = "instance-1";
  auto plan = build_pod(request(), options, "0a1b2c3d");
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->name_space, "pop");
  EXPECT_EQ(plan->name, "pop-build-image-2-0a1b2c3d");
  const Json& pod = plan->pod;
  EXPECT_EQ(pod["apiVersion"], "v1");
  EXPECT_EQ(pod["kind"], "Pod");
  EXPECT_EQ(pod["metadata"]["name"], plan->name);
  EXPECT_EQ(pod["metadata"]["namespace"], "pop");
  EXPECT_FALSE(pod["metadata"].contains("ownerReferences"));

  const Json& labels = pod["metadata"]["labels"];
  EXPECT_EQ(labels[label::kManagedBy], "pop");
  EXPECT_EQ(labels[label::kRunnerInstance], "instance-1");
  EXPECT_EQ(labels[label::kAgendaId], "agenda-1");
  EXPECT_EQ(labels[label::kOperationName], label_value("Build Image"));
  EXPECT_EQ(labels[label::kCustomerId], label_value("Customer A"));
  EXPECT_EQ(labels[label::kResourcePoolId], "pool-1");
  EXPECT_EQ(labels[label::kInsightId], label_value("fast lane"));
  // Selectable: `kubectl get pods -l pop.operationType=builder,pop.attempt=2`.
  EXPECT_EQ(labels[label::kOperationType], "builder");
  EXPECT_EQ(labels[label::kAttempt], "2");
  for (const auto& [key, value] : labels.items()) {
    EXPECT_TRUE(is_valid_label_value(value.get<std::string>())) << key;
  }
  const Json& annotations = pod["metadata"]["annotations"];
  EXPECT_EQ(annotations[label::kOperationName], "Build Image");
  EXPECT_EQ(annotations[label::kCustomerId], "Customer A");
  EXPECT_EQ(annotations[label::kInsightId], "fast lane");
  EXPECT_EQ(annotations[label::kOperationType], "builder");
  EXPECT_EQ(annotations[label::kAttempt], "2");

  const Json& spec = pod["spec"];
  EXPECT_EQ(spec["restartPolicy"], "Never");
  EXPECT_EQ(spec["enableServiceLinks"], false);
  EXPECT_EQ(spec["activeDeadlineSeconds"], 100 + 5 + 600);
  // Whoever deletes the Pod without a grace period of their own (kubectl delete, the
  // activeDeadlineSeconds kill) gives the handler its terminationGraceSeconds.
  EXPECT_EQ(spec["terminationGracePeriodSeconds"], 5);
  EXPECT_EQ(spec["nodeSelector"], Json({{"pool", "batch"}}));
  EXPECT_EQ(spec["tolerations"][0]["key"], "dedicated");
  EXPECT_EQ(spec["serviceAccountName"], "pop-handler");
  ASSERT_EQ(spec["containers"].size(), 1u);
  const Json& container = spec["containers"][0];
  EXPECT_EQ(container["name"], "handler");
  EXPECT_EQ(container["image"], "registry.example/builder:1.2");
  EXPECT_EQ(container["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(container["command"], Json({"pop", "handler", "sample"}));
  EXPECT_EQ(container["terminationMessagePath"], "/dev/termination-log");
  EXPECT_EQ(container["terminationMessagePolicy"], "File");
  EXPECT_EQ(container["resources"]["requests"]["cpu"], "250m");
  EXPECT_EQ(container["resources"]["limits"]["cpu"], "2000m");
  EXPECT_EQ(container["resources"]["requests"]["memory"], "536870912");
  EXPECT_EQ(container["resources"]["limits"]["memory"], "536870912");

  const auto env = env_of(container);
  EXPECT_EQ(env.at("POP_PAYLOAD"), R"({"x":1})");  // the spec cannot replace it
  EXPECT_EQ(env.at("POP_AGENDA_ID"), "agenda-1");
  EXPECT_EQ(env.at("POP_OPERATION_NAME"), "Build Image");
  EXPECT_EQ(env.at("POP_CUSTOMER_ID"), "Customer A");
  EXPECT_EQ(env.at("POP_ATTEMPT"), "2");
  EXPECT_EQ(env.at("POP_OUTPUT_FILE"), "/dev/termination-log");
  EXPECT_EQ(env.at("POP_REPORT_URL"), "https://pop.example/v1/reports");
  EXPECT_EQ(env.at("POP_REPORT_TOKEN"), "popr1.x.y");
  EXPECT_EQ(env.at("EXTRA"), "1");
  EXPECT_EQ(container["env"].size(), env.size());  // no name twice
}

TEST(PodSpec, OptionalPartsAreLeftOut) {
  LaunchRequest r = request();
  r.handler.command.clear();
  r.handler.container = ContainerSpec{};
  r.handler.container.image = "busybox";
  r.handler.timeout_seconds = 0;
  r.report_url.clear();
  r.report_token.clear();
  r.kubernetes_namespace = "customer-a";
  auto plan = build_pod(r, {}, "ffff0000");
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->name_space, "customer-a");
  const Json& spec = plan->pod["spec"];
  const Json& container = spec["containers"][0];
  for (const char* absent : {"command", "imagePullPolicy", "resources"}) {
    EXPECT_FALSE(container.contains(absent)) << absent;
  }
  for (const char* absent :
       {"nodeSelector", "tolerations", "serviceAccountName", "activeDeadlineSeconds"}) {
    EXPECT_FALSE(spec.contains(absent)) << absent;
  }
  const auto env = env_of(container);
  EXPECT_FALSE(env.contains("POP_REPORT_URL"));
  EXPECT_FALSE(env.contains("POP_REPORT_TOKEN"));
}

TEST(PodSpec, NamesAreShortUniqueDnsLabels) {
  LaunchRequest r = request();
  r.operation_name = std::string(200, 'X') + " step";
  r.attempt = 12345;
  auto plan = build_pod(r, {}, "deadbeef");
  ASSERT_TRUE(plan);
  EXPECT_LE(plan->name.size(), 63u);
  EXPECT_TRUE(plan->name.ends_with("-12345-deadbeef")) << plan->name;
  EXPECT_TRUE(plan->name.starts_with("pop-xxxx")) << plan->name;

  r.operation_name = "ÜÜ";
  auto fallback = build_pod(r, {}, "deadbeef");
  ASSERT_TRUE(fallback);
  EXPECT_EQ(fallback->name, "pop-op-12345-deadbeef");
  EXPECT_NE(build_pod(r, {}, "00000001")->name, fallback->name);
}

TEST(PodSpec, AnOperationTypeThatIsNoLabelValueIsMadeOneAndKeptExactly) {
  LaunchRequest r = request();
  r.operation_type = "video/encode (h.265)";
  auto plan = build_pod(r, {}, "deadbeef");
  ASSERT_TRUE(plan);
  const std::string labelled = plan->pod["metadata"]["labels"][label::kOperationType];
  EXPECT_EQ(labelled, label_value("video/encode (h.265)"));
  EXPECT_TRUE(is_valid_label_value(labelled)) << labelled;
  EXPECT_EQ(plan->pod["metadata"]["annotations"][label::kOperationType], "video/encode (h.265)");
}

TEST(PodSpec, OwnerReferenceOnlyInTheOwnersNamespace) {
  PodSpecOptions options;
  options.default_namespace = "pop";
  options.owner = OwnerPod{.name_space = "pop", .name = "puller-0", .uid = "u-1"};
  auto same = build_pod(request(), options, "00000000");
  ASSERT_TRUE(same);
  const Json& owner = same->pod["metadata"]["ownerReferences"][0];
  EXPECT_EQ(owner["kind"], "Pod");
  EXPECT_EQ(owner["name"], "puller-0");
  EXPECT_EQ(owner["uid"], "u-1");

  LaunchRequest elsewhere = request();
  elsewhere.kubernetes_namespace = "customer-a";
  auto other = build_pod(elsewhere, options, "00000000");
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->pod["metadata"].contains("ownerReferences"));
}

TEST(PodSpec, RefusesWhatCannotBecomeAPod) {
  LaunchRequest no_image = request();
  no_image.handler.container.image.clear();
  auto refused = build_pod(no_image, {}, "00000000");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("handler type \"builder\" has no image"),
            std::string::npos);

  LaunchRequest big = request();
  big.payload = {{"blob", std::string(kMaxPodPayloadBytes, 'a')}};
  auto too_large = build_pod(big, {}, "00000000");
  ASSERT_FALSE(too_large);
  EXPECT_EQ(too_large.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(too_large.error().message,
            "the payload of operation Build Image is " + std::to_string(big.payload.dump().size()) +
                " bytes; the Kubernetes runner passes it in the environment (POP_PAYLOAD), "
                "which takes at most " +
                std::to_string(kMaxPodPayloadBytes) + " bytes");

  LaunchRequest just_fits = request();
  just_fits.payload = std::string(kMaxPodPayloadBytes - 2, 'a');  // plus two quotes
  EXPECT_TRUE(build_pod(just_fits, {}, "00000000"));
}

}  // namespace
}  // namespace pop::kubernetes_runner
