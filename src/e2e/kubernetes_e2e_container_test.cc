// `pop server --runner kubernetes` end to end against the Kubernetes API simulator, whose
// Pods run for real on the private Docker engine ctest starts. Shown: the diamond agenda with
// outputs passed between Pods; a 429 storm and dropped watches still end in success; each
// customer's Pods in its own namespace; cancel and timeout leave no Pod and no container;
// cancel sends SIGTERM and leaves the grace period, and the Pod's labels select it; a
// missing image fails the operation quickly with a message naming the image; every attempt's
// log is kept (succeeded, failed and retried, timed out) and a running one is followed live,
// also across a follow stream the API server ended.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>

#include "docker/docker_engine.h"
#include "http_client/test_server.h"
#include "http_client/url.h"
#include "testing/container_tests.h"
#include "testing/kube_simulator_process.h"
#include "testing/pop_server_fixture.h"
#include "testing/subprocess.h"

namespace pop::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::eventually;

json single(const std::string& name, int sleep_ms, const std::string& customer = "") {
  json agenda = {
      {"operations",
       {{{"name", name},
         {"type", "sample"},
         {"payload",
          {{"actions", {testing::sample_log_action(name, sleep_ms)}}, {"resultPayload", name}}}}}}};
  if (!customer.empty()) agenda["customerId"] = customer;
  return agenda;
}

class KubernetesE2eTest : public testing::PopServerFixture {
 protected:
  void before_start() override {
    auto simulator = testing::KubeSimulatorProcess::start(
        {.script = POP_TEST_KUBE_SIMULATOR, .docker_host = testing::test_docker_host()});
    ASSERT_TRUE(simulator.has_value()) << simulator.error().message;
    simulator_ = std::move(*simulator);
    handlers_ = testing::ContainerTestHandlers::start();
    ASSERT_NE(handlers_, nullptr);
    // /go and /end answer 404 until the test opens them: what a gated handler waits for.
    gate_ = http_client::testing::TestServer::start_tcp(
        [this](const http_client::testing::ReceivedRequest& request,
               http_client::testing::Connection& c) {
          const bool open = request.target == "/end" ? end_open_.load() : gate_open_.load();
          c.respond(open ? 200 : 404, "");
          c.close_after();
        });
    ASSERT_NE(gate_, nullptr);
    json registry = handlers_->registry();
    const auto shell = [](const std::string& script) {
      return json{{"command", {"sh", "-c", script}}, {"image", "pop:local"}};
    };
    registry["handlers"]["lines"] = shell("echo one; echo two; echo three");
    registry["handlers"]["refusing"] = shell("echo \"attempt $POP_ATTEMPT\"; exit 3");
    registry["handlers"]["stuck"] = shell("trap 'exit 143' TERM; echo started; sleep 60 & wait");
    registry["handlers"]["gated"] =
        shell("echo before; until wget -q -O /dev/null http://127.0.0.1:" +
              std::to_string(gate_->port()) +
              "/go 2>/dev/null; do sleep 0.1; done; echo after; until wget -q -O /dev/null "
              "http://127.0.0.1:" +
              std::to_string(gate_->port()) + "/end 2>/dev/null; do sleep 0.1; done");
    std::ofstream(dir_->path() / "handlers.json") << registry.dump();
    auto api = http_client::Client::create(
        {.base_url = simulator_->url(), .bearer_token = "simulator-token", .proxy = ""});
    ASSERT_TRUE(api.has_value());
    api_.emplace(std::move(*api));
  }

  std::vector<std::string> server_arguments() const override {
    return {"--lease-seconds", "5",
            "--runner",        "kubernetes",
            "--kubeconfig",    simulator_->kubeconfig().string(),
            "--namespace",     "pop-handlers",
            "--handlers",      (dir_->path() / "handlers.json").string()};
  }

  void TearDown() override {
    PopServerFixture::TearDown();
    if (simulator_) {
      const json info = simulator_->control("GET", "/simulator/info");
      simulator_.reset();
      // The simulator removes its containers as it stops; none may be left.
      auto engine = docker::DockerEngine::connect(testing::test_docker_host());
      ASSERT_TRUE(engine.has_value());
      auto left = engine->list_containers({info.value("containerLabel", "")});
      ASSERT_TRUE(left.has_value());
      EXPECT_TRUE(left->empty());
    }
  }

  void create_namespace(const std::string& name) {
    auto created = api_->request(
        "POST", "/api/v1/namespaces",
        json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}}.dump(),
        {{"Content-Type", "application/json"}});
    ASSERT_TRUE(created.has_value());
    ASSERT_TRUE(created->status == 201 || created->status == 409) << created->body;
  }

  // Pods across all namespaces with the label selector `selector`.
  std::vector<json> pods(const std::string& selector) {
    const std::string target =
        "/api/v1/pods?labelSelector=" + http_client::percent_encode(selector);
    auto listed = api_->request("GET", target);
    // The test's own look is subject to the storms it injects.
    for (int i = 0; i < 100 && listed && listed->status == 429; ++i) {
      std::this_thread::sleep_for(100ms);
      listed = api_->request("GET", target);
    }
    EXPECT_TRUE(listed.has_value() && listed->ok()) << (listed ? listed->body : "");
    if (!listed || !listed->ok()) return {};
    const json list = json::parse(listed->body);
    return list["items"].get<std::vector<json>>();
  }

  std::size_t running_containers() {
    const json info = simulator_->control("GET", "/simulator/info");
    auto engine = docker::DockerEngine::connect(testing::test_docker_host());
    if (!engine) return 0;
    auto ids = engine->list_containers({info.value("containerLabel", "")});
    return ids ? ids->size() : 0;
  }

  std::string submit(const json& agenda) {
    auto answer = call("POST", "/v1/agendas", agenda.dump());
    EXPECT_EQ(answer.status, 201) << answer.body;
    return json::parse(answer.body, nullptr, false).value("id", "");
  }

  std::unique_ptr<testing::KubeSimulatorProcess> simulator_;
  std::optional<http_client::Client> api_;
  std::unique_ptr<testing::ContainerTestHandlers> handlers_;
  std::atomic<bool> gate_open_{false};
  std::atomic<bool> end_open_{false};
  std::unique_ptr<http_client::testing::TestServer> gate_;
};

json one_operation(const std::string& type, json params = json::object()) {
  return {{"operations", {{{"name", "work"}, {"type", type}, {"params", std::move(params)}}}}};
}

std::string logs_path(const std::string& id, const std::string& query = "") {
  return "/v1/agendas/" + id + "/operations/work/logs" + query;
}

TEST_F(KubernetesE2eTest, DiamondRunsAsPodsAndPassesOutputs) {
  create_namespace("pop-handlers");
  const json agenda = testing::diamond_agenda(500);
  const std::string id = submit(agenda);
  const json outcome = wait_for_outcome(id);
  ASSERT_EQ(outcome["processingStateMessage"], "succeeded") << outcome.dump(2);
  const json* publish = testing::operation_progress(outcome, "publish");
  ASSERT_NE(publish, nullptr);
  EXPECT_EQ((*publish)["resultPayload"], testing::diamond_result());
  EXPECT_TRUE(eventually([&] { return pods("pop.agendaId=" + id).empty(); }, 20s));
  // Each Pod's log is kept by the server (followed while it runs, completed at its end).
  for (const auto& [operation, said] :
       {std::pair{"probe", "probing"}, {"transcode", "transcoding"}}) {
    auto log = call("GET", "/v1/agendas/" + id + "/operations/" + operation + "/logs");
    EXPECT_EQ(log.status, 200) << log.body;
    EXPECT_NE(log.body.find(said), std::string::npos) << operation << ": " << log.body;
  }
}

TEST_F(KubernetesE2eTest, A429StormAndDroppedWatchesStillEndInSuccess) {
  create_namespace("pop-handlers");
  simulator_->control("POST", "/simulator/reset-stats");
  const std::string first = submit(single("through-the-storm", 1500));
  // Every API request for the next while is refused with 429 and Retry-After.
  ASSERT_FALSE(
      simulator_->control("POST", "/simulator/storms", {{"status", 429}, {"count", 12}}).is_null());
  const std::string second = submit(single("after-the-storm", 1500));
  ASSERT_TRUE(eventually([&] { return !pods("pop.agendaId=" + second).empty(); }, 30s));
  ASSERT_FALSE(
      simulator_->control("POST", "/simulator/watches/drop", {{"abrupt", true}}).is_null());
  ASSERT_FALSE(
      simulator_->control("POST", "/simulator/watches/drop-every", {{"everyEvents", 2}}).is_null());
  EXPECT_EQ(wait_for_outcome(first)["processingStateMessage"], "succeeded");
  EXPECT_EQ(wait_for_outcome(second)["processingStateMessage"], "succeeded");
  const json stats = simulator_->control("GET", "/simulator/stats");
  EXPECT_GE(stats.value("tooManyRequestsServed", 0), 12) << stats.dump();
  EXPECT_GE(stats.value("watchesOpened", 0), 3) << stats.dump();
}

TEST_F(KubernetesE2eTest, EachCustomersPodsRunInItsOwnNamespace) {
  create_namespace("pop-handlers");
  create_namespace("tenant-a");
  create_namespace("tenant-b");
  for (const auto& [customer, ns] :
       {std::pair{"alpha", "tenant-a"}, std::pair{"beta", "tenant-b"}}) {
    auto stored =
        call("POST", "/v1/customers", json{{"id", customer}, {"kubernetesNamespace", ns}}.dump());
    ASSERT_EQ(stored.status, 201) << stored.body;
  }
  const std::string a = submit(single("a-work", 3000, "alpha"));
  const std::string b = submit(single("b-work", 3000, "beta"));
  const std::string c = submit(single("c-work", 3000, "gamma"));  // no namespace of its own
  std::vector<json> seen;
  ASSERT_TRUE(eventually(
      [&] {
        seen = pods("app.kubernetes.io/managed-by=pop");
        return seen.size() == 3;
      },
      30s));
  std::map<std::string, std::string> namespace_of;
  for (const auto& pod : seen)
    namespace_of[pod["metadata"]["labels"]["pop.customerId"]] = pod["metadata"]["namespace"];
  EXPECT_EQ(namespace_of["alpha"], "tenant-a");
  EXPECT_EQ(namespace_of["beta"], "tenant-b");
  EXPECT_EQ(namespace_of["gamma"], "pop-handlers");
  for (const auto& id : {a, b, c})
    EXPECT_EQ(wait_for_outcome(id)["processingStateMessage"], "succeeded");
}

TEST_F(KubernetesE2eTest, CancelAndTimeoutLeaveNoPodAndNoContainer) {
  create_namespace("pop-handlers");
  const std::string cancelled = submit(single("to-cancel", 60000));
  json slow = single("too-slow", 60000);
  slow["operations"][0]["params"] = {{"timeoutSeconds", 2}};
  const std::string timed_out = submit(slow);
  ASSERT_TRUE(eventually(
      [&] { return pods("pop.agendaId=" + cancelled).size() == 1 && running_containers() == 2; },
      30s));
  EXPECT_EQ(call("POST", "/v1/agendas/" + cancelled + "/cancel").status / 100, 2);
  EXPECT_EQ(wait_for_outcome(cancelled)["processingStateMessage"], "cancelled");
  const json outcome = wait_for_outcome(timed_out);
  EXPECT_EQ(outcome["processingStateMessage"], "failed");
  EXPECT_NE(outcome.dump().find("timed out after 2"), std::string::npos) << outcome.dump(2);
  EXPECT_TRUE(eventually(
      [&] { return pods("app.kubernetes.io/managed-by=pop").empty() && running_containers() == 0; },
      30s));
}

// docs/kubernetes.md: cancel deletes the Pod with gracePeriodSeconds = the handler's
// terminationGraceSeconds (30 here), so Kubernetes sends SIGTERM, and SIGKILL only after it;
// this handler exits at once on SIGTERM. The Pod carries the labels the docs list.
TEST_F(KubernetesE2eTest, CancelSendsSigtermAndLeavesTheGracePeriod) {
  create_namespace("pop-handlers");
  const std::string id = submit(
      {{"operations", {{{"name", "polite"}, {"type", "polite"}, {"payload", json::object()}}}}});
  ASSERT_TRUE(eventually([&] { return handlers_->heard("started", id); }, 30s));
  const auto labelled = pods("pop.agendaId=" + id + ",pop.operationType=polite,pop.attempt=1");
  ASSERT_EQ(labelled.size(), 1u) << "kubectl get pods -l pop.attempt=1 would not find the Pod";
  EXPECT_EQ(labelled[0]["spec"]["terminationGracePeriodSeconds"], 30);
  const auto cancelled_at = std::chrono::steady_clock::now();
  EXPECT_EQ(call("POST", "/v1/agendas/" + id + "/cancel").status / 100, 2);
  EXPECT_TRUE(eventually([&] { return handlers_->heard("sigterm", id); }, 20s))
      << "the handler was not sent SIGTERM";
  EXPECT_TRUE(eventually([&] { return pods("pop.agendaId=" + id).empty(); }, 20s));
  // It ended on SIGTERM, long before its grace period was over.
  EXPECT_LT(std::chrono::steady_clock::now() - cancelled_at, 25s);
  EXPECT_EQ(wait_for_outcome(id)["processingStateMessage"], "cancelled");
}

TEST_F(KubernetesE2eTest, MissingImageFailsFastNamingTheImage) {
  create_namespace("pop-handlers");
  const auto submitted = std::chrono::steady_clock::now();
  const std::string id = submit(
      {{"operations", {{{"name", "haunted"}, {"type", "ghost"}, {"payload", json::object()}}}}});
  const json outcome = wait_for_outcome(id);
  EXPECT_LT(std::chrono::steady_clock::now() - submitted, 30s);
  EXPECT_EQ(outcome["processingStateMessage"], "failed") << outcome.dump(2);
  EXPECT_NE(outcome.dump().find("pop-test/ghost:404"), std::string::npos) << outcome.dump(2);
  EXPECT_TRUE(eventually([&] { return pods("pop.agendaId=" + id).empty(); }, 20s));
}

// Each attempt's log, as the Pod's container wrote it, in order: a
// success, a failure retried (each attempt its own log), and a timeout (what it wrote before
// its Pod was deleted).
TEST_F(KubernetesE2eTest, EveryAttemptsLogIsKeptInOrder) {
  create_namespace("pop-handlers");
  const std::string succeeded = submit(one_operation("lines"));
  const std::string failed =
      submit(one_operation("refusing", {{"maximumAttempts", 2}, {"retryBackoffSeconds", 0}}));
  const std::string timed_out = submit(one_operation("stuck", {{"timeoutSeconds", 5}}));

  EXPECT_EQ(wait_for_outcome(succeeded)["processingStateMessage"], "succeeded");
  EXPECT_EQ(call("GET", logs_path(succeeded)).body, "one\ntwo\nthree\n");

  EXPECT_EQ(wait_for_outcome(failed)["processingStateMessage"], "failed");
  EXPECT_EQ(call("GET", logs_path(failed, "?attempt=1")).body, "attempt 1\n");
  EXPECT_EQ(call("GET", logs_path(failed, "?attempt=2")).body, "attempt 2\n");

  const json outcome = wait_for_outcome(timed_out);
  EXPECT_EQ(outcome["processingStateMessage"], "failed");
  EXPECT_NE(outcome.dump().find("timed out after 5"), std::string::npos) << outcome.dump(2);
  EXPECT_EQ(call("GET", logs_path(timed_out)).body, "started\n");
}

// A follower of the API sees what the Pod wrote while its handler still runs (it waits on the
// gate), then the rest, and the stream ends with the attempt. Meanwhile the API server ends
// the runner's follow of the Pod's log: it is resumed where it was, nothing lost or doubled.
TEST_F(KubernetesE2eTest, ARunningPodsLogIsFollowedLive) {
  create_namespace("pop-handlers");
  // Its timeout ends a handler that was never let through (the follow did not work).
  const std::string id = submit(one_operation("gated", {{"timeoutSeconds", 30}}));
  // The log exists from the attempt's first heartbeat on.
  ASSERT_TRUE(eventually([&] { return call("GET", logs_path(id)).status == 200; }, 30s));
  http_client::Request request;
  request.target = logs_path(id, "?follow=true");
  std::string followed;
  bool running_when_seen = false;
  bool resumed_while_running = false;
  auto follower = server_->client();
  auto answer = follower.stream(request, [&](std::string_view chunk) {
    followed += chunk;
    if (followed == "before\n" && !gate_open_) {
      const json progress = json::parse(call("GET", "/v1/agendas/" + id + "/progress").body);
      running_when_seen = progress.value("processingState", "") == "EXECUTING";
      // The runner's follow ends at the handler's next output, which it has not read.
      EXPECT_FALSE(simulator_->control("POST", "/simulator/logs/drop").is_null());
      gate_open_ = true;
    }
    // Only a resumed follow brings "after" while the handler still runs: the last read at
    // the attempt's end would bring it too, but after the end.
    if (followed == "before\nafter\n" && !end_open_) {
      const json progress = json::parse(call("GET", "/v1/agendas/" + id + "/progress").body);
      resumed_while_running = progress.value("processingState", "") == "EXECUTING";
      end_open_ = true;
    }
    return true;
  });
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_EQ(answer->status, 200);
  EXPECT_TRUE(running_when_seen) << "the log arrived only after the handler ended";
  EXPECT_TRUE(resumed_while_running) << "the dropped follow was not resumed";
  EXPECT_EQ(followed, "before\nafter\n");
  EXPECT_EQ(wait_for_outcome(id)["processingStateMessage"], "succeeded");
  EXPECT_EQ(call("GET", logs_path(id)).body, "before\nafter\n");
  // Follows are counted (by how they ended: 200, or 0 for one stopped at the attempt's end).
  const std::string metrics = call("GET", "/metrics").body;
  EXPECT_NE(metrics.find("pop_kubernetes_requests_total{verb=\"follow\""), std::string::npos)
      << metrics;
}

}  // namespace
}  // namespace pop::e2e
