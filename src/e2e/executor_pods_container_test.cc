// `pop puller --runner kubernetes --executor-pods` end to end against the Kubernetes API
// simulator, whose Pods run for real (with host networking) on the private Docker engine
// ctest starts, and a real `pop server`. Shown: a diamond agenda runs in one executor Pod
// (`pop executor`) that starts one handler Pod per operation, each owned by the executor Pod;
// outputs pass, the agenda succeeds and no Pod is left. An executor Pod deleted (grace 0) or
// crashing (SIGKILL) mid-run makes the server hand the agenda out again once its lease
// expires; a new executor Pod continues it (the operation that had succeeded is not run
// again) to success, and the handler Pod the dead executor left is removed. An insight's
// execution limit holds across executor Pods. A stopped puller leaves its executor Pods
// running; the next one adopts them and deletes them once they end.
//
// The executor Pods have no service account in the simulator: the puller passes them the
// simulator's kubeconfig as a document (--executor-kubeconfig, POP_KUBECONFIG_DOCUMENT).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>

#include "docker/docker_engine.h"
#include "http_client/url.h"
#include "testing/container_tests.h"
#include "testing/kube_simulator_process.h"
#include "testing/pop_server_fixture.h"
#include "testing/subprocess.h"
#include "util/time_format.h"

namespace pop::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::eventually;

constexpr char kNamespace[] = "pop-exec";

json sample(const std::string& name, int sleep_ms, const json& result) {
  return {{"name", name},
          {"type", "sample"},
          {"payload",
           {{"actions", {testing::sample_log_action(name, sleep_ms)}}, {"resultPayload", result}}}};
}

bool is_executor(const json& pod) {
  return pod["metadata"]["labels"].value("pop.role", "") == "executor";
}

class ExecutorPodsTest : public testing::PopServerFixture {
 protected:
  void before_start() override {
    auto simulator = testing::KubeSimulatorProcess::start(
        {.script = POP_TEST_KUBE_SIMULATOR, .docker_host = testing::test_docker_host()});
    ASSERT_TRUE(simulator.has_value()) << simulator.error().message;
    simulator_ = std::move(*simulator);
    auto api = http_client::Client::create(
        {.base_url = simulator_->url(), .bearer_token = "simulator-token", .proxy = ""});
    ASSERT_TRUE(api.has_value());
    api_.emplace(std::move(*api));
  }

  std::vector<std::string> server_arguments() const override {
    // Short, so that a dead executor's agenda is handed out again soon; but the lease runs from
    // the pull, and until its executor Pod has started (a container, and `pop executor` under
    // ASan) nobody renews it: with 3 s, executors on a loaded machine found their lease gone
    // ("the lease was lost") and the agenda ran again under a third one.
    return {"--no-embedded-puller", "--lease-seconds", "8"};
  }

  void SetUp() override {
    PopServerFixture::SetUp();
    if (HasFatalFailure()) return;
    auto created = api_->request(
        "POST", "/api/v1/namespaces",
        json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kNamespace}}}}
            .dump(),
        {{"Content-Type", "application/json"}});
    ASSERT_TRUE(created.has_value() && created->status == 201);
    token_ = puller_token("default");
    start_puller();
  }

  void start_puller() {
    const std::string kubeconfig = simulator_->kubeconfig().string();
    puller_.emplace(
        std::vector<std::string>{
            POP_BINARY, "puller", "--server", base_url_, "--runner", "kubernetes", "--kubeconfig",
            kubeconfig, "--namespace", kNamespace, "--image", POP_TEST_IMAGE, "--executor-pods",
            "--executor-kubeconfig", kubeconfig, "--capacity", "2", "--report-seconds", "0.5"},
        std::map<std::string, std::string>{{"POP_TOKEN", token_}}, dir_->path().string());
  }

  void TearDown() override {
    if (puller_) {
      puller_->signal(SIGTERM);
      auto stopped = puller_->wait();
      EXPECT_EQ(stopped.exit_status, 0) << stopped.err;
      if (HasFailure()) std::fprintf(stderr, "puller:\n%s\n", stopped.err.c_str());
    }
    PopServerFixture::TearDown();
    if (simulator_) {
      const json info = simulator_->control("GET", "/simulator/info");
      simulator_.reset();
      auto engine = docker::DockerEngine::connect(testing::test_docker_host());
      ASSERT_TRUE(engine.has_value());
      auto left = engine->list_containers({info.value("containerLabel", "")});
      ASSERT_TRUE(left.has_value());
      EXPECT_TRUE(left->empty());
    }
  }

  // POP's Pods across all namespaces.
  std::vector<json> pods() {
    const std::string target = "/api/v1/pods?labelSelector=" +
                               http_client::percent_encode("app.kubernetes.io/managed-by=pop");
    auto listed = api_->request("GET", target);
    EXPECT_TRUE(listed.has_value() && listed->ok()) << (listed ? listed->body : "");
    if (!listed || !listed->ok()) return {};
    return json::parse(listed->body)["items"].get<std::vector<json>>();
  }

  std::string submit(const json& agenda) {
    auto answer = call("POST", "/v1/agendas", agenda.dump());
    EXPECT_EQ(answer.status, 201) << answer.body;
    return json::parse(answer.body, nullptr, false).value("id", "");
  }

  json progress(const std::string& id) {
    return json::parse(call("GET", "/v1/agendas/" + id + "/progress").body, nullptr, false);
  }

  // Every Pod seen while the agenda runs, by uid, as last seen, until it is COMPLETE; runs
  // `during` after each look.
  std::map<std::string, json> watch_until_complete(const std::string& id,
                                                   const std::function<void()>& during = {}) {
    std::map<std::string, json> seen;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      for (const auto& pod : pods()) seen[pod["metadata"]["uid"].get<std::string>()] = pod;
      if (during) during();
      if (progress(id)["processingState"] == "COMPLETE") break;
      std::this_thread::sleep_for(100ms);
    }
    return seen;
  }

  void expect_recovery_after(const std::function<void(const json& executor)>& kill);

  std::unique_ptr<testing::KubeSimulatorProcess> simulator_;
  std::optional<http_client::Client> api_;
  std::optional<testing::Subprocess> puller_;
  std::string token_;
};

TEST_F(ExecutorPodsTest, DiamondRunsInOneExecutorPodThatOwnsItsHandlerPods) {
  const json agenda = {
      {"operations",
       {sample("probe", 300, {{"durationSeconds", 5400}, {"path", "/media/in.mp4"}}),
        sample("thumbnail", 300, {{"thumbnail", "@<probe.out::path>.jpg"}}),
        sample("transcode", 600, {{"seconds", "@<probe.out::/durationSeconds>"}}),
        sample("publish", 0,
               {{"video", "@<transcode.out>"}, {"image", "@<thumbnail.out::thumbnail>"}})}}};
  const std::string id = submit(agenda);
  const auto seen = watch_until_complete(id);
  const json outcome = progress(id);
  ASSERT_EQ(outcome["processingStateMessage"], "succeeded") << outcome.dump(2) << "\npuller:\n"
                                                            << puller_->stderr_so_far();
  const json* publish = testing::operation_progress(outcome, "publish");
  ASSERT_NE(publish, nullptr);
  EXPECT_EQ((*publish)["resultPayload"],
            (json{{"video", {{"seconds", 5400}}}, {"image", "/media/in.mp4.jpg"}}));

  std::vector<json> executors;
  std::multiset<std::string> operations;
  for (const auto& [uid, pod] : seen) {
    if (is_executor(pod)) executors.push_back(pod);
  }
  ASSERT_EQ(executors.size(), 1u);
  const json& executor = executors[0];
  EXPECT_EQ(executor["metadata"]["namespace"], kNamespace);
  EXPECT_EQ(executor["metadata"]["labels"]["pop.agendaId"], id);
  EXPECT_EQ(executor["metadata"]["labels"]["pop.resourcePoolId"], "default");
  for (const auto& [uid, pod] : seen) {
    if (is_executor(pod)) continue;
    operations.insert(pod["metadata"]["labels"].value("pop.operationName", ""));
    EXPECT_EQ(pod["metadata"]["namespace"], kNamespace);
    const json owners = pod["metadata"].value("ownerReferences", json::array());
    ASSERT_EQ(owners.size(), 1u) << pod["metadata"].dump(2);
    EXPECT_EQ(owners[0]["kind"], "Pod");
    EXPECT_EQ(owners[0]["name"], executor["metadata"]["name"]);
    EXPECT_EQ(owners[0]["uid"], executor["metadata"]["uid"]);
  }
  EXPECT_EQ(operations, (std::multiset<std::string>{"probe", "thumbnail", "transcode", "publish"}));
  EXPECT_TRUE(eventually([&] { return pods().empty(); }, 20s)) << pods().size();
}

// Runs an agenda whose executor Pod `kill` ends while its second operation runs, and checks
// that the agenda is handed out again and succeeds, continued, with no Pod left.
void ExecutorPodsTest::expect_recovery_after(
    const std::function<void(const json& executor)>& kill) {
  const json agenda = {
      {"operations",
       {sample("first", 100, {{"n", 1}}), sample("long", 4000, {{"after", "@<first.out::n>"}}),
        sample("last", 0, {{"got", "@<long.out::after>"}})}}};
  const std::string id = submit(agenda);
  std::string killed;
  const auto seen = watch_until_complete(id, [&] {
    if (!killed.empty()) return;
    // Once `first` has succeeded on the server and `long` runs: kill its executor Pod.
    const json now = progress(id);
    const json* first = testing::operation_progress(now, "first");
    if (first == nullptr || (*first).value("processingStateMessage", "") != "succeeded") return;
    const auto current = pods();
    const bool long_runs = std::any_of(current.begin(), current.end(), [](const json& pod) {
      return pod["metadata"]["labels"].value("pop.operationName", "") == "long";
    });
    if (!long_runs) return;
    for (const auto& executor : current) {
      if (!is_executor(executor)) continue;
      killed = executor["metadata"]["name"];
      kill(executor);
    }
  });
  ASSERT_FALSE(killed.empty()) << "never saw the executor Pod and `long` running";
  const json outcome = progress(id);
  ASSERT_EQ(outcome["processingStateMessage"], "succeeded") << outcome.dump(2) << "\npuller:\n"
                                                            << puller_->stderr_so_far();
  EXPECT_EQ((*testing::operation_progress(outcome, "last"))["resultPayload"], (json{{"got", 1}}));

  std::set<std::string> executors;
  std::multiset<std::string> operations;
  for (const auto& [uid, pod] : seen) {
    if (is_executor(pod))
      executors.insert(pod["metadata"]["name"].get<std::string>());
    else
      operations.insert(pod["metadata"]["labels"].value("pop.operationName", ""));
  }
  // The killed one and its successor; on a loaded machine a successor may lose its lease too
  // and be replaced again, each replacement running `long` once more.
  EXPECT_GE(executors.size(), 2u);
  EXPECT_TRUE(executors.contains(killed));
  // Continue mode: `first` had succeeded and is never run again.
  EXPECT_EQ(operations.count("first"), 1u);
  EXPECT_EQ(operations.count("long"), executors.size());
  EXPECT_GE(operations.count("last"), 1u);
  // The handler Pod the dead executor left goes too.
  EXPECT_TRUE(eventually([&] { return pods().empty(); }, 20s)) << pods().size();
}

TEST_F(ExecutorPodsTest, AnExecutorPodDeletedMidRunHasItsAgendaHandedOutAgain) {
  expect_recovery_after([&](const json& executor) {
    const std::string name = executor["metadata"]["name"];
    auto deleted = api_->request(
        "DELETE", "/api/v1/namespaces/" + std::string(kNamespace) + "/pods/" + name,
        json{{"gracePeriodSeconds", 0}}.dump(), {{"Content-Type", "application/json"}});
    ASSERT_TRUE(deleted.has_value() && deleted->ok()) << (deleted ? deleted->body : "");
  });
}

TEST_F(ExecutorPodsTest, AnExecutorPodThatCrashesMidRunHasItsAgendaHandedOutAgain) {
  // SIGKILL: unlike a deletion's SIGTERM, the executor gets no chance to remove its handler
  // Pod; the puller sees the executor Pod fail, deletes it and the handler Pod it left.
  expect_recovery_after([&](const json& executor) {
    auto engine = docker::DockerEngine::connect(testing::test_docker_host());
    ASSERT_TRUE(engine.has_value());
    auto ids = engine->list_containers(
        {"io.kubernetes.pod.uid=" + executor["metadata"]["uid"].get<std::string>()});
    ASSERT_TRUE(ids.has_value() && ids->size() == 1u);
    ASSERT_TRUE(engine->kill_container(ids->front(), "KILL").has_value());
  });
}

TEST_F(ExecutorPodsTest, AnInsightsExecutionLimitHoldsAcrossExecutorPods) {
  // Reached through params.defaultInsight only (its mapper matches nothing).
  const json insight = {{"id", "limited"},     {"resourcePoolId", "default"},
                        {"queueSize", 10},     {"isGlobal", true},
                        {"executionLimit", 1}, {"mappers", {{"operationType", {"no-such-type"}}}}};
  ASSERT_EQ(call("POST", "/v1/insights", insight.dump()).status, 201);
  std::vector<std::string> limited;
  for (int i = 0; i < 3; ++i) {
    json agenda = {{"operations", {sample("limited", 1000, i)}}};
    agenda["params"] = {{"defaultInsight", "limited"}};
    limited.push_back(submit(agenda));
  }
  const std::string open = submit({{"operations", {sample("open", 1000, "free")}}});
  // The operations' own times: no two of the limited insight overlap.
  std::vector<std::pair<WallTime, WallTime>> spans;
  for (const std::string& id : limited) {
    json outcome;
    ASSERT_TRUE(eventually(
        [&] {
          outcome = progress(id);
          return outcome["processingState"] == "COMPLETE";
        },
        60s))
        << outcome.dump(2) << "\npuller:\n"
        << puller_->stderr_so_far();
    EXPECT_EQ(outcome["processingStateMessage"], "succeeded") << outcome.dump(2);
    const json& op = outcome["operationProgress"][0];
    auto started = parse_time(op["startedTime"]);
    auto completed = parse_time(op["completedTime"]);
    ASSERT_TRUE(started && completed) << op.dump();
    spans.emplace_back(*started, *completed);
  }
  std::sort(spans.begin(), spans.end());
  for (std::size_t i = 1; i < spans.size(); ++i)
    EXPECT_LE(spans[i - 1].second, spans[i].first)
        << "limited operations " << i - 1 << " and " << i << " overlap";
  EXPECT_EQ(wait_for_outcome(open)["processingStateMessage"], "succeeded");
  EXPECT_TRUE(eventually([&] { return pods().empty(); }, 20s)) << pods().size();
}

TEST_F(ExecutorPodsTest, AStoppedPullerLeavesItsExecutorPodsAndTheNextOneAdoptsThem) {
  const std::string id = submit({{"operations", {sample("long", 4000, "done")}}});
  ASSERT_TRUE(eventually(
      [&] {
        const auto current = pods();
        return current.size() == 2 && std::any_of(current.begin(), current.end(), is_executor) &&
               std::all_of(current.begin(), current.end(), [](const json& pod) {
                 return pod["status"].value("phase", "") == "Running";
               });
      },
      30s));
  puller_->signal(SIGTERM);
  auto stopped = puller_->wait();
  EXPECT_EQ(stopped.exit_status, 0) << stopped.err;
  puller_.reset();
  // The executor Pod carries on without its puller.
  const auto after_stop = pods();
  ASSERT_EQ(after_stop.size(), 2u);
  for (const auto& pod : after_stop) {
    EXPECT_EQ(pod["status"]["phase"], "Running") << pod.dump();
    EXPECT_FALSE(pod["metadata"].contains("deletionTimestamp")) << pod.dump();
  }

  start_puller();
  std::set<std::string> executors;
  const auto seen = watch_until_complete(id);
  for (const auto& [uid, pod] : seen)
    if (is_executor(pod)) executors.insert(uid);
  EXPECT_EQ(progress(id)["processingStateMessage"], "succeeded");
  EXPECT_EQ(executors.size(), 1u);  // adopted, not started again
  // The new puller deletes the adopted executor Pod once it has ended.
  EXPECT_TRUE(eventually([&] { return pods().empty(); }, 20s)) << pods().size();
}

}  // namespace
}  // namespace pop::e2e
