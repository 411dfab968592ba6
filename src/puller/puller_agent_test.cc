// The embedded puller end to end: service, SQLite store, agent and local runner with real
// handler processes.
#include "puller/puller_agent.h"

#include <gtest/gtest.h>

#include <thread>

#include "puller/local_work_source.h"
#include "runner/local_runner.h"
#include "store/sqlite/sqlite_store.h"
#include "util/temp_dir.h"

namespace pop::puller {
namespace {

using namespace std::chrono_literals;

class PullerAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("pop-puller-test-");
    ASSERT_TRUE(dir.has_value());
    dir_.emplace(std::move(*dir));
    std::filesystem::create_directories(dir_->path() / "work");
    store::sqlite::SqliteStoreOptions store_options;
    store_options.data_directory = dir_->path() / "data";
    auto store = store::sqlite::SqliteStore::open(store_options);
    ASSERT_TRUE(store.has_value()) << store.error().message;
    store_ = std::move(*store);
    queues_ =
        std::make_unique<service::InsightQueues>([this](const std::string&) { signal_.notify(); });
    ASSERT_TRUE(registry_
                    .merge_json(Json::parse(R"({"handlers": {
                        "echo": {"command": ["/bin/sh", "-c", "printf '%s' \"$POP_PAYLOAD\" > \"$POP_OUTPUT_FILE\""]},
                        "slow": {"command": ["/bin/sh", "-c", "sleep 300"]}}})"),
                                "test")
                    .has_value());
    service::ServiceOptions options;
    options.lease_duration = 5s;
    service_ = std::make_unique<service::AgendaService>(
        *store_, *queues_, [this](std::string_view type) { return registry_.has(type); },
        [] { return std::chrono::system_clock::now(); }, options);
    ASSERT_TRUE(service_->start().has_value());
    auto runner = LocalRunner::create({dir_->path() / "work"});
    ASSERT_TRUE(runner.has_value());
    runner_ = std::move(*runner);
    source_ = std::make_unique<LocalWorkSource>(*service_, signal_, "default", "embedded");
  }

  std::string submit(const std::string& body) {
    auto submitted = service_->submit({"acme", body, ""});
    EXPECT_TRUE(submitted.has_value()) << submitted.error().message;
    return submitted ? submitted->agenda["id"].get<std::string>() : "";
  }

  std::string state_of(const std::string& id) {
    auto progress = service_->progress(id);
    return progress ? (*progress)["processingStateMessage"].get<std::string>() : "?";
  }

  bool wait_for_state(const std::string& id, const std::string& state,
                      std::chrono::seconds limit = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (state_of(id) == state) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::optional<TempDir> dir_;
  service::ReadySignal signal_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<service::InsightQueues> queues_;
  HandlerRegistry registry_ = HandlerRegistry::builtin("/unused");
  std::unique_ptr<service::AgendaService> service_;
  std::unique_ptr<LocalRunner> runner_;
  std::unique_ptr<LocalWorkSource> source_;
};

TEST_F(PullerAgentTest, RunsSubmittedAgendasToCompletion) {
  AgentOptions options;
  options.capacity = 2;
  options.report_interval = 50ms;
  PullerAgent agent(*source_, registry_, *runner_, options);
  std::thread loop([&] { agent.run(); });
  const std::string first =
      submit(R"({"operations": [{"name": "a", "type": "echo", "payload": {"n": 1}},
      {"name": "b", "type": "echo", "payload": {"got": "@<a.out::n>"}}]})");
  const std::string second =
      submit(R"({"operations": [{"name": "only", "type": "echo", "payload": 7}]})");
  EXPECT_TRUE(wait_for_state(first, "succeeded"));
  EXPECT_TRUE(wait_for_state(second, "succeeded"));
  agent.stop();
  loop.join();
  auto progress = service_->progress(first);
  ASSERT_TRUE(progress.has_value());
  EXPECT_EQ((*progress)["operationProgress"][1]["resultPayload"], Json::parse(R"({"got": 1})"));
  EXPECT_EQ((*progress)["attemptsCompleted"], 1);
}

TEST_F(PullerAgentTest, KeepsPullingAfterItWasFull) {
  AgentOptions options;
  options.capacity = 1;
  options.report_interval = 50ms;
  PullerAgent agent(*source_, registry_, *runner_, options);
  std::thread loop([&] { agent.run(); });
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i)
    ids.push_back(submit(R"({"operations": [{"name": "a", "type": "echo", "payload": 1}]})"));
  for (const auto& id : ids)
    EXPECT_TRUE(wait_for_state(id, "succeeded")) << id << " is " << state_of(id);
  agent.stop();
  loop.join();
}

TEST_F(PullerAgentTest, AgendaItCannotRunFailsWithTheReason) {
  // Known to the server's registry at submit, unknown to this puller's.
  HandlerRegistry narrow = HandlerRegistry::builtin("/unused");
  AgentOptions options;
  options.report_interval = 50ms;
  PullerAgent agent(*source_, narrow, *runner_, options);
  std::thread loop([&] { agent.run(); });
  const std::string id = submit(
      R"({"params": {"maximumAttempts": 1}, "operations": [{"name": "a", "type": "echo"}]})");
  EXPECT_TRUE(wait_for_state(id, "failed"));
  agent.stop();
  loop.join();
  auto progress = service_->progress(id);
  ASSERT_TRUE(progress.has_value());
  EXPECT_NE((*progress)["diagnosticEvents"][0]["message"].get<std::string>().find(
                "this puller cannot run the agenda"),
            std::string::npos);
}

TEST_F(PullerAgentTest, StoppingAbandonsRunningAgendasForAnotherPuller) {
  AgentOptions options;
  options.report_interval = 50ms;
  const std::string id = submit(R"({"operations": [{"name": "s", "type": "slow"}]})");
  {
    PullerAgent agent(*source_, registry_, *runner_, options);
    std::thread loop([&] { agent.run(); });
    ASSERT_TRUE(wait_for_state(id, "running"));
    agent.stop();
    loop.join();
  }
  // Not completed, not cancelled: still leased, to be reclaimed when the lease expires.
  EXPECT_EQ(state_of(id), "running");
  auto lease = store_->get_lease(id);
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->holder, "embedded");
}

}  // namespace
}  // namespace pop::puller
