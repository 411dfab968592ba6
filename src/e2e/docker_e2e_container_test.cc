// `pop server --runner docker` end to end: agendas whose every operation runs in a container
// of the handler image, against the private engine ctest starts. Shown: the diamond agenda
// with outputs passed between containers and progress reported from inside them; that
// cancel and timeout leave no container, and that cancel sends SIGTERM first; that a missing
// image fails the operation quickly with a message naming the image; every attempt's log
// (succeeded, failed and retried, timed out, and one followed while its container runs)
// kept by the server with its whole content in the engine's order.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>

#include "docker/docker_engine.h"
#include "http_client/test_server.h"
#include "testing/container_tests.h"
#include "testing/pop_server_fixture.h"
#include "testing/subprocess.h"

namespace pop::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::eventually;

class DockerE2eTest : public testing::PopServerFixture {
 protected:
  std::vector<std::string> server_arguments() const override {
    return {"--lease-seconds", "5",
            "--runner",        "docker",
            "--docker-host",   testing::test_docker_host(),
            "--handlers",      (dir_->path() / "handlers.json").string()};
  }
  void before_start() override {
    handlers_ = testing::ContainerTestHandlers::start();
    ASSERT_NE(handlers_, nullptr);
    gate_ = http_client::testing::TestServer::start_tcp(
        [this](const http_client::testing::ReceivedRequest&,
               http_client::testing::Connection& peer) {
          peer.respond(gate_open_ ? 200 : 404, "");
          peer.close_after();
        });
    ASSERT_NE(gate_, nullptr);
    json registry = handlers_->registry();
    registry["handlers"].update(log_writing_handlers());
    std::ofstream(dir_->path() / "handlers.json") << registry.dump();
  }

  // Shell handlers in the handler image whose output is known to the byte. The engine
  // orders stdout and stderr by when it reads them: the pauses keep the order certain.
  json log_writing_handlers() const {
    const auto shell = [](const std::string& script) {
      return json{{"command", {"sh", "-c", script}}, {"image", POP_TEST_IMAGE}};
    };
    json flaky = shell(
        "echo \"attempt $POP_ATTEMPT\"; sleep 0.1; echo failing >&2; sleep 0.1; echo exit 3; "
        "exit 3");
    flaky["maximumAttempts"] = 2;
    flaky["retryBackoffSeconds"] = 0;
    // Waits until the test opens the gate; fails after 2400 tries 0.05 s apart (over 2
    // minutes: a loaded machine under ASan can take seconds to open it).
    const std::string gate =
        "http://127.0.0.1:" + std::to_string(gate_->port()) + "/go/$POP_AGENDA_ID";
    return {
        {"lines", shell("echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three")},
        {"flaky", flaky},
        {"stuck", shell("echo started; sleep 0.1; echo still working >&2; sleep 60")},
        {"gated", shell("echo before; i=0; until wget -q -O /dev/null " + gate +
                        " 2>/dev/null; do i=$((i+1)); [ $i -lt 2400 ] || exit 9; sleep 0.05; done; "
                        "echo after")}};
  }

  std::string submit_one(const std::string& type, const json& params = json::object()) {
    return submit(
        {{"params", {{"maximumAttempts", 1}}},
         {"operations",
          {{{"name", "work"}, {"type", type}, {"params", params}, {"payload", json::object()}}}}});
  }

  std::string log_of(const std::string& id, const std::string& query = "") {
    auto log = call("GET", "/v1/agendas/" + id + "/operations/work/logs" + query);
    EXPECT_EQ(log.status, 200) << log.body;
    return log.body;
  }

  std::string submit(const json& agenda) {
    auto answer = call("POST", "/v1/agendas", agenda.dump());
    EXPECT_EQ(answer.status, 201) << answer.body;
    return json::parse(answer.body, nullptr, false).value("id", "");
  }

  json progress(const std::string& id) {
    return json::parse(call("GET", "/v1/agendas/" + id + "/progress").body, nullptr, false);
  }

  std::vector<std::string> containers_of(const std::string& agenda_id) {
    auto engine = docker::DockerEngine::connect(testing::test_docker_host());
    EXPECT_TRUE(engine.has_value());
    if (!engine) return {};
    auto ids = engine->list_containers({"pop.agendaId=" + agenda_id});
    EXPECT_TRUE(ids.has_value()) << ids.error().message;
    return ids ? *ids : std::vector<std::string>{};
  }

  std::unique_ptr<testing::ContainerTestHandlers> handlers_;
  std::atomic<bool> gate_open_ = false;  // before gate_, whose threads read it
  std::unique_ptr<http_client::testing::TestServer> gate_;
};

TEST_F(DockerE2eTest, DiamondRunsInContainersAndPassesOutputs) {
  const json agenda = testing::diamond_agenda(4000);
  const std::string id = submit(agenda);
  // Progress from inside the container reaches the API through the report endpoint.
  double seen_percent = 0;
  eventually(
      [&] {
        const json now = progress(id);
        const json* transcode = testing::operation_progress(now, "transcode");
        if (transcode != nullptr && (*transcode)["processingState"] == "EXECUTING")
          seen_percent = std::max(seen_percent, transcode->value("percentComplete", 0.0));
        return seen_percent > 0 || now["processingState"] == "COMPLETE";
      },
      30s);
  EXPECT_GT(seen_percent, 0) << "no progress reported from the transcode container";
  const json outcome = wait_for_outcome(id);
  ASSERT_EQ(outcome["processingState"], "COMPLETE") << outcome.dump(2);
  EXPECT_EQ(outcome["processingStateMessage"], "succeeded") << outcome.dump(2);
  const json* publish = testing::operation_progress(outcome, "publish");
  ASSERT_NE(publish, nullptr);
  EXPECT_EQ((*publish)["resultPayload"], testing::diamond_result());
  EXPECT_TRUE(containers_of(id).empty());
  // Each container's output is kept by the server.
  for (const auto& [operation, said] :
       {std::pair{"probe", "probing"}, {"transcode", "transcoding"}}) {
    auto log = call("GET", "/v1/agendas/" + id + "/operations/" + operation + "/logs");
    EXPECT_EQ(log.status, 200) << log.body;
    EXPECT_NE(log.body.find(said), std::string::npos) << operation << ": " << log.body;
  }
}

TEST_F(DockerE2eTest, CancelMidRunLeavesNoContainer) {
  const std::string id =
      submit({{"operations",
               {{{"name", "long"},
                 {"type", "sample"},
                 {"payload", {{"actions", {testing::sample_log_action("working", 60000)}}}}}}}});
  ASSERT_TRUE(eventually([&] { return containers_of(id).size() == 1; }, 30s));
  auto cancelled = call("POST", "/v1/agendas/" + id + "/cancel");
  EXPECT_EQ(cancelled.status / 100, 2) << cancelled.body;
  const json outcome = wait_for_outcome(id);
  EXPECT_EQ(outcome["processingState"], "COMPLETE");
  EXPECT_EQ(outcome["processingStateMessage"], "cancelled") << outcome.dump(2);
  // The server records the cancel at once; the puller hears of it at its next heartbeat and
  // stops the container then.
  EXPECT_TRUE(eventually([&] { return containers_of(id).empty(); }, 30s));
}

// docs/handler-contract.md: on cancellation the handler gets SIGTERM, and SIGKILL only after
// its terminationGraceSeconds (30 here); this one exits at once on SIGTERM.
TEST_F(DockerE2eTest, CancelSendsSigtermAndLeavesTheGracePeriod) {
  const std::string id = submit(
      {{"operations", {{{"name", "polite"}, {"type", "polite"}, {"payload", json::object()}}}}});
  ASSERT_TRUE(eventually([&] { return handlers_->heard("started", id); }, 30s));
  // Found by the labels the handler contract lists.
  auto engine = docker::DockerEngine::connect(testing::test_docker_host());
  ASSERT_TRUE(engine.has_value());
  auto labelled =
      engine->list_containers({"pop.agendaId=" + id, "pop.operationType=polite", "pop.attempt=1"});
  ASSERT_TRUE(labelled.has_value()) << labelled.error().message;
  EXPECT_EQ(labelled->size(), 1u);
  const auto cancelled_at = std::chrono::steady_clock::now();
  EXPECT_EQ(call("POST", "/v1/agendas/" + id + "/cancel").status / 100, 2);
  EXPECT_TRUE(eventually([&] { return handlers_->heard("sigterm", id); }, 20s))
      << "the handler was not sent SIGTERM";
  EXPECT_TRUE(eventually([&] { return containers_of(id).empty(); }, 20s));
  // It ended on SIGTERM, long before its grace period was over.
  EXPECT_LT(std::chrono::steady_clock::now() - cancelled_at, 25s);
  EXPECT_EQ(wait_for_outcome(id)["processingStateMessage"], "cancelled");
}

TEST_F(DockerE2eTest, TimeoutStopsTheContainerAndKeepsItsLog) {
  const std::string id = submit_one("stuck", {{"timeoutSeconds", 1}});
  const json outcome = wait_for_outcome(id);
  EXPECT_EQ(outcome["processingStateMessage"], "failed") << outcome.dump(2);
  const json* work = testing::operation_progress(outcome, "work");
  ASSERT_NE(work, nullptr);
  EXPECT_NE(work->dump().find("timed out after 1"), std::string::npos) << work->dump(2);
  EXPECT_TRUE(containers_of(id).empty());
  EXPECT_EQ(log_of(id), "started\nstill working\n");
}

TEST_F(DockerE2eTest, ASuccessfulAttemptsLogIsKeptWholeInOrder) {
  const std::string id = submit_one("lines");
  EXPECT_EQ(wait_for_outcome(id)["processingStateMessage"], "succeeded");
  EXPECT_EQ(log_of(id), "one\ntwo\nthree\n");
}

TEST_F(DockerE2eTest, EachFailedAttemptKeepsALogOfItsOwn) {
  const std::string id = submit_one("flaky");
  const json outcome = wait_for_outcome(id);
  EXPECT_EQ(outcome["processingStateMessage"], "failed") << outcome.dump(2);
  EXPECT_EQ(log_of(id, "?attempt=1"), "attempt 1\nfailing\nexit 3\n");
  EXPECT_EQ(log_of(id, "?attempt=2"), "attempt 2\nfailing\nexit 3\n");
  EXPECT_EQ(log_of(id), "attempt 2\nfailing\nexit 3\n");
}

// The container's output reaches a follower while the handler still runs (it waits for the
// gate, which opens only once the follower has seen its first line), and the follow ends with
// the attempt.
TEST_F(DockerE2eTest, AFollowerSeesTheContainersOutputWhileItRuns) {
  const std::string id = submit_one("gated");
  // The log exists from the attempt's first heartbeat on.
  ASSERT_TRUE(eventually(
      [&] {
        auto log = server_->client().request("GET", "/v1/agendas/" + id + "/operations/work/logs");
        return log && log->status == 200;
      },
      30s));
  http_client::Request request;
  request.target = "/v1/agendas/" + id + "/operations/work/logs?follow=true";
  request.timeout = 60s;
  std::string followed;
  bool running_when_seen = false;
  auto follower = server_->client();
  auto answer = follower.stream(request, [&](std::string_view chunk) {
    followed += chunk;
    if (followed.find("before\n") != std::string::npos && !gate_open_) {
      running_when_seen = progress(id)["processingState"] == "EXECUTING";
      gate_open_ = true;
    }
    return true;
  });
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_EQ(answer->status, 200);
  EXPECT_TRUE(running_when_seen) << "the output arrived only once the handler had ended";
  EXPECT_EQ(followed, "before\nafter\n");
  EXPECT_EQ(wait_for_outcome(id)["processingStateMessage"], "succeeded");
}

TEST_F(DockerE2eTest, MissingImageFailsFastNamingTheImage) {
  const auto submitted = std::chrono::steady_clock::now();
  const std::string id = submit(
      {{"operations", {{{"name", "haunted"}, {"type", "ghost"}, {"payload", json::object()}}}}});
  const json outcome = wait_for_outcome(id);
  EXPECT_LT(std::chrono::steady_clock::now() - submitted, 20s);
  EXPECT_EQ(outcome["processingStateMessage"], "failed") << outcome.dump(2);
  const json* haunted = testing::operation_progress(outcome, "haunted");
  ASSERT_NE(haunted, nullptr);
  EXPECT_NE(haunted->dump().find("image \\\"pop-test/ghost:404\\\" is not in the container engine"),
            std::string::npos)
      << haunted->dump(2);
  EXPECT_TRUE(containers_of(id).empty());
}

}  // namespace
}  // namespace pop::e2e
