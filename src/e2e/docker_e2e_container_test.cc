// `pop server --runner docker` end to end: agendas whose every operation runs in a container
// of the handler image, against the private engine ctest starts. Shown: the diamond agenda
// with outputs passed between containers and progress reported from inside them; that
// cancel and timeout leave no container, and that cancel sends SIGTERM first; that a missing
// image fails the operation quickly with a message naming the image.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "docker/docker_engine.h"
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
    std::ofstream(dir_->path() / "handlers.json") << handlers_->registry().dump();
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
  // Each container's output is kept by the server (shipped when the container has ended).
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

TEST_F(DockerE2eTest, TimeoutStopsTheContainer) {
  const std::string id =
      submit({{"operations",
               {{{"name", "slow"},
                 {"type", "sample"},
                 {"params", {{"timeoutSeconds", 1}}},
                 {"payload", {{"actions", {testing::sample_log_action("never done", 60000)}}}}}}}});
  const json outcome = wait_for_outcome(id);
  EXPECT_EQ(outcome["processingStateMessage"], "failed") << outcome.dump(2);
  const json* slow = testing::operation_progress(outcome, "slow");
  ASSERT_NE(slow, nullptr);
  EXPECT_NE(slow->dump().find("timed out after 1"), std::string::npos) << slow->dump(2);
  EXPECT_TRUE(containers_of(id).empty());
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
