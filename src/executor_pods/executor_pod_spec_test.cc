#include "executor_pods/executor_pod_spec.h"

#include <gtest/gtest.h>

#include "kubernetes/labels.h"

namespace pop::executor_pods {
using Json = nlohmann::json;
// The Pod is written in the API client's vocabulary.
using namespace kubernetes;

namespace {

ExecutorPodTemplate sample_template() {
  ExecutorPodTemplate pod;
  pod.name_space = "pop-system";
  pod.image = "registry.example/pop:1.2";
  pod.arguments = {"--server", "https://pop.example", "--runner", "kubernetes"};
  pod.service_account = "pop-executor";
  pod.resource_pool_id = "site a";
  pod.puller_instance = "puller-7";
  pod.token = "secret-token";
  return pod;
}

// The assignment document of a lease of agenda `id`, bound to insight "transcode".
Json assignment_of(const std::string& id, std::uint64_t epoch) {
  return {{"agenda", {{"id", id}, {"agendaInsight", {{"insightId", "transcode"}}}}},
          {"progress", Json::object()},
          {"epoch", epoch}};
}

// The env entry named `name`, or null.
Json env_entry(const Json& pod, const std::string& name) {
  for (const auto& entry : pod["spec"]["containers"][0]["env"])
    if (entry["name"] == name) return entry;
  return nullptr;
}

TEST(ExecutorPodSpecTest, RunsPopExecutorWithTheAssignmentAndItsOwnIdentity) {
  const Json assignment = assignment_of("a-1", 4);
  auto plan = build_executor_pod(sample_template(), assignment, "0f3c9a1b");
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  EXPECT_EQ(plan->name_space, "pop-system");
  EXPECT_EQ(plan->name, "pop-executor-a-1-4-0f3c9a1b");
  const Json& pod = plan->pod;
  EXPECT_EQ(pod["metadata"]["name"], plan->name);
  EXPECT_EQ(pod["metadata"]["namespace"], "pop-system");
  EXPECT_EQ(pod["spec"]["restartPolicy"], "Never");
  EXPECT_EQ(pod["spec"]["serviceAccountName"], "pop-executor");
  const Json& container = pod["spec"]["containers"][0];
  EXPECT_EQ(container["name"], kExecutorContainer);
  EXPECT_EQ(container["image"], "registry.example/pop:1.2");
  EXPECT_EQ(container["command"], Json::array({"/usr/local/bin/pop"}));
  EXPECT_EQ(container["args"],
            Json::array({"executor", "--server", "https://pop.example", "--runner", "kubernetes"}));
  EXPECT_EQ(env_entry(pod, "POP_ASSIGNMENT")["value"], assignment.dump());
  EXPECT_EQ(env_entry(pod, "POP_TOKEN")["value"], "secret-token");
  EXPECT_EQ(env_entry(pod, "POP_POD_NAME")["valueFrom"]["fieldRef"]["fieldPath"], "metadata.name");
  EXPECT_EQ(env_entry(pod, "POP_POD_NAMESPACE")["valueFrom"]["fieldRef"]["fieldPath"],
            "metadata.namespace");
  EXPECT_EQ(env_entry(pod, "POP_POD_UID")["valueFrom"]["fieldRef"]["fieldPath"], "metadata.uid");
  // Documents that were not given are left out rather than passed empty.
  EXPECT_TRUE(env_entry(pod, "POP_HANDLERS_DOCUMENT").is_null());
  EXPECT_TRUE(env_entry(pod, "POP_KUBECONFIG_DOCUMENT").is_null());
  EXPECT_TRUE(env_entry(pod, "POP_SERVER_CA_DOCUMENT").is_null());
}

TEST(ExecutorPodSpecTest, LabelsLetThePullerFindItsExecutorPods) {
  auto plan = build_executor_pod(sample_template(), assignment_of("a-1", 4), "0f3c9a1b");
  ASSERT_TRUE(plan.has_value());
  const Json& labels = plan->pod["metadata"]["labels"];
  EXPECT_EQ(labels[label::kManagedBy], "pop");
  EXPECT_EQ(labels[executor_label::kRole], "executor");
  EXPECT_EQ(labels[label::kAgendaId], "a-1");
  EXPECT_EQ(labels[label::kResourcePoolId], label_value("site a"));
  EXPECT_NE(labels[label::kResourcePoolId], "site a");  // not a valid label value as it is
  EXPECT_EQ(labels[label::kRunnerInstance], "puller-7");
  const Json& annotations = plan->pod["metadata"]["annotations"];
  EXPECT_EQ(annotations[label::kResourcePoolId], "site a");
  EXPECT_EQ(annotations[executor_label::kEpoch], "4");
  // Not a label: an insight's handler Pods are selected by it, and executors are none.
  EXPECT_EQ(annotations[label::kInsightId], "transcode");
  EXPECT_FALSE(labels.contains(label::kInsightId));
  EXPECT_EQ(executor_pod_selector("site a"),
            "app.kubernetes.io/managed-by=pop,pop.role=executor,pop.resourcePoolId=" +
                label_value("site a"));
}

TEST(ExecutorPodSpecTest, TokenFromASecretAndDocumentsWhenGiven) {
  ExecutorPodTemplate pod_template = sample_template();
  pod_template.token_secret = SecretKeyRef{"pop-puller", "token"};
  pod_template.handlers_document = "handlers: {}";
  pod_template.kubeconfig_document = "apiVersion: v1";
  pod_template.server_ca_document = "-----BEGIN CERTIFICATE-----";
  auto plan = build_executor_pod(pod_template, assignment_of("a-1", 4), "0f3c9a1b");
  ASSERT_TRUE(plan.has_value());
  const Json token = env_entry(plan->pod, "POP_TOKEN");
  EXPECT_FALSE(token.contains("value"));  // the literal token is not in the spec
  EXPECT_EQ(token["valueFrom"]["secretKeyRef"], (Json{{"name", "pop-puller"}, {"key", "token"}}));
  EXPECT_EQ(env_entry(plan->pod, "POP_HANDLERS_DOCUMENT")["value"], "handlers: {}");
  EXPECT_EQ(env_entry(plan->pod, "POP_KUBECONFIG_DOCUMENT")["value"], "apiVersion: v1");
  EXPECT_EQ(env_entry(plan->pod, "POP_SERVER_CA_DOCUMENT")["value"], "-----BEGIN CERTIFICATE-----");
  ExecutorPodTemplate no_account = sample_template();
  no_account.service_account.clear();
  auto default_account = build_executor_pod(no_account, assignment_of("a-1", 4), "0f3c9a1b");
  ASSERT_TRUE(default_account.has_value());
  EXPECT_FALSE(default_account->pod["spec"].contains("serviceAccountName"));
}

TEST(ExecutorPodSpecTest, LongAgendaIdsStillMakeAValidUniqueName) {
  const std::string id(120, 'X');
  auto plan = build_executor_pod(sample_template(), assignment_of(id, 123456), "0f3c9a1b");
  ASSERT_TRUE(plan.has_value());
  EXPECT_LE(plan->name.size(), kMaxDnsLabelBytes);
  EXPECT_TRUE(plan->name.starts_with("pop-executor-xxx")) << plan->name;
  EXPECT_TRUE(plan->name.ends_with("-123456-0f3c9a1b")) << plan->name;
  EXPECT_TRUE(
      is_valid_label_value(plan->pod["metadata"]["labels"][label::kAgendaId].get<std::string>()));
}

TEST(ExecutorPodSpecTest, RefusesWhatCannotBecomeAPod) {
  const Json assignment = assignment_of("a-1", 4);
  const std::size_t size = assignment.dump().size();
  ExecutorPodTemplate small = sample_template();
  small.max_assignment_bytes = size - 1;
  auto too_large = build_executor_pod(small, assignment, "0f3c9a1b");
  ASSERT_FALSE(too_large.has_value());
  EXPECT_EQ(too_large.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(too_large.error().message.find("agenda a-1"), std::string::npos);
  EXPECT_NE(too_large.error().message.find(std::to_string(size) + " bytes"), std::string::npos);
  EXPECT_NE(too_large.error().message.find("POP_ASSIGNMENT"), std::string::npos);
  small.max_assignment_bytes = size;
  EXPECT_TRUE(build_executor_pod(small, assignment, "0f3c9a1b").has_value());

  ExecutorPodTemplate no_image = sample_template();
  no_image.image.clear();
  auto imageless = build_executor_pod(no_image, assignment_of("a-1", 4), "0f3c9a1b");
  ASSERT_FALSE(imageless.has_value());
  EXPECT_NE(imageless.error().message.find("--executor-image"), std::string::npos);
}

TEST(ExecutorPodSpecTest, SecretKeyRefIsNameSlashKey) {
  auto parsed = parse_secret_key_ref("pop-puller/token");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->name, "pop-puller");
  EXPECT_EQ(parsed->key, "token");
  for (const char* bad : {"", "pop-puller", "/token", "pop-puller/", "a/b/c"}) {
    auto refused = parse_secret_key_ref(bad);
    ASSERT_FALSE(refused.has_value()) << bad;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace pop::executor_pods
