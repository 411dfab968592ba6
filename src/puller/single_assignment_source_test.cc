// `pop executor`'s way of running one leased agenda: a PullerAgent of capacity 1 over a
// SingleAssignmentSource, against a real `pop server` over HTTP, with real sample handlers.
#include "puller/single_assignment_source.h"

#include <gtest/gtest.h>

#include <thread>

#include "model/assignment_json.h"
#include "puller/http_work_source.h"
#include "puller/puller_agent.h"
#include "puller/stub_work_source.h"
#include "runner/local/local_runner.h"
#include "testing/pop_server_fixture.h"

namespace pop::puller {
namespace {

using namespace std::chrono_literals;

Json sample(const std::string& name, int sleep_ms, const Json& result) {
  return {{"name", name},
          {"type", "sample"},
          {"payload",
           {{"actions",
             {{{"action", "log"},
               {"paramsMap", {{"logMessage", name}, {"sleepMilliseconds", sleep_ms}}}}}},
            {"resultPayload", result}}}};
}

class SingleAssignmentSourceTest : public pop::testing::PopServerFixture {
 protected:
  std::vector<std::string> server_arguments() const override {
    return {"--no-embedded-puller", "--lease-seconds", "5"};
  }

  void SetUp() override {
    PopServerFixture::SetUp();
    if (HasFatalFailure()) return;
    auto source = HttpWorkSource::create(
        {.base_url = base_url_, .bearer_token = puller_token("default")}, "default", "test");
    ASSERT_TRUE(source.has_value()) << source.error().message;
    server_source_ = std::move(*source);
    std::filesystem::create_directories(dir_->path() / "work");
    auto runner = LocalRunner::create({dir_->path() / "work"});
    ASSERT_TRUE(runner.has_value());
    runner_ = std::move(*runner);
  }

  // Submits the agenda and pulls its lease as a puller would, handing it on in the form
  // `pop executor` receives it (POP_ASSIGNMENT).
  Assignment lease(const Json& agenda) {
    auto submitted = call("POST", "/v1/agendas", agenda.dump());
    EXPECT_EQ(submitted.status, 201) << submitted.body;
    for (int i = 0; i < 20; ++i) {
      auto pulled = server_source_->pull(1, 1s, std::nullopt, {});
      EXPECT_TRUE(pulled.has_value()) << pulled.error().message;
      if (pulled && !pulled->assignments.empty()) {
        auto handed_on =
            assignment_from_json(Json::parse(assignment_to_json(pulled->assignments[0]).dump()));
        EXPECT_TRUE(handed_on.has_value());
        EXPECT_EQ(handed_on->report_key, pulled->assignments[0].report_key);
        return handed_on ? *handed_on : Assignment{};
      }
    }
    ADD_FAILURE() << "nothing to pull";
    return {};
  }

  // Runs the assignment with an agent of capacity 1 until the agent ends by itself; false
  // when it did not within the limit (it is stopped then).
  bool run_to_end(Assignment assignment) {
    PullerAgent* agent_ptr = nullptr;
    SingleAssignmentSource source(*server_source_, std::move(assignment),
                                  [&] { agent_ptr->stop(); });
    AgentOptions options;
    options.capacity = 1;
    options.report_interval = 100ms;
    options.report_url = base_url_ + "/v1/reports";
    PullerAgent agent(source, registry_, *runner_, options);
    agent_ptr = &agent;
    std::atomic<bool> ended{false};
    std::thread loop([&] {
      agent.run();
      ended.store(true);
    });
    const bool by_itself = testing::eventually([&] { return ended.load(); }, 30s);
    agent.stop();
    loop.join();
    completed_ = source.completed();
    lease_lost_ = source.lease_lost();
    return by_itself;
  }

  std::unique_ptr<HttpWorkSource> server_source_;
  std::unique_ptr<LocalRunner> runner_;
  HandlerRegistry registry_ = HandlerRegistry::builtin(POP_BINARY);
  bool completed_ = false;
  std::optional<Error> lease_lost_;
};

TEST_F(SingleAssignmentSourceTest, RunsTheOneAgendaToCompletionAndEndsTheAgent) {
  const Json agenda = {{"operations",
                        {sample("probe", 100, {{"path", "/in.mp4"}}),
                         sample("thumb", 0, {{"image", "@<probe.out::path>.jpg"}})}}};
  Assignment assignment = lease(agenda);
  const std::string id = assignment.agenda.value("id", "");
  ASSERT_TRUE(run_to_end(std::move(assignment)));
  EXPECT_TRUE(completed_);
  EXPECT_FALSE(lease_lost_.has_value());
  const Json outcome = wait_for_outcome(id);
  EXPECT_EQ(outcome["processingStateMessage"], "succeeded") << outcome.dump(2);
  EXPECT_EQ(outcome["operationProgress"][1]["resultPayload"], (Json{{"image", "/in.mp4.jpg"}}));
}

TEST_F(SingleAssignmentSourceTest, ALeaseItDoesNotHoldEndsTheAgentWithoutCompletion) {
  Assignment assignment = lease({{"operations", {sample("slow", 5000, "late")}}});
  const std::string id = assignment.agenda.value("id", "");
  // A later lease than the server gave: fenced off at the first heartbeat.
  assignment.epoch += 1;
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(run_to_end(std::move(assignment)));
  // Stopped at the first heartbeat, well before the handler's 5 s.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);
  EXPECT_FALSE(completed_);
  ASSERT_TRUE(lease_lost_.has_value());
  EXPECT_EQ(lease_lost_->code, ErrorCode::kConflict) << lease_lost_->message;
  const Json progress = Json::parse(call("GET", "/v1/agendas/" + id + "/progress").body);
  EXPECT_NE(progress["processingState"], "COMPLETE");
}

TEST(SingleAssignmentSourceUnitTest, HandsOutTheAssignmentOnceThenSaysItIsExhausted) {
  // The server side is never reached in this test: an unreachable address.
  auto server = HttpWorkSource::create({.base_url = "http://127.0.0.1:9"}, "default", "test");
  ASSERT_TRUE(server.has_value());
  int exhausted = 0;
  SingleAssignmentSource source(**server, Assignment{Json{{"id", "a"}}, Json::object(), 3, "", ""},
                                [&] { ++exhausted; });
  auto none_wanted = source.pull(0, 0ms, std::nullopt, {});
  ASSERT_TRUE(none_wanted.has_value());
  EXPECT_TRUE(none_wanted->assignments.empty());
  auto first = source.pull(1, 0ms, std::nullopt, {});
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->assignments.size(), 1u);
  EXPECT_EQ(first->assignments[0].epoch, 3u);
  auto second = source.pull(1, 0ms, std::nullopt, {});
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(second->assignments.empty());
  EXPECT_EQ(exhausted, 1);
  // An unreachable server is no lost lease, but a failed completion.
  EXPECT_FALSE(source.complete("a", 3, "key", Json::object()).has_value());
  EXPECT_FALSE(source.completed());
  EXPECT_FALSE(source.lease_lost().has_value());
  ASSERT_TRUE(source.completion_error().has_value());
  EXPECT_EQ(source.completion_error()->code, ErrorCode::kUnavailable);
}

// A server that has ended the agenda: it refuses every heartbeat, as it does once the
// completion was stored.
class EndedAgendaServer : public StubWorkSource {
 public:
  Result<void> report(const std::string&, std::uint64_t, const std::string&, const Json&) override {
    return fail(ErrorCode::kConflict, "the agenda is COMPLETE");
  }
};

TEST(SingleAssignmentSourceUnitTest, AHeartbeatRacingTheCompletionIsNoLostLease) {
  EndedAgendaServer server;
  SingleAssignmentSource source(server, Assignment{Json{{"id", "a"}}, Json::object(), 3, "", ""},
                                [] {});
  // The heartbeat thread's report answered before and after the completion's answer was seen.
  (void)source.report("a", 3, "key", Json::object());
  ASSERT_TRUE(source.complete("a", 3, "key", Json::object()).has_value());
  (void)source.report("a", 3, "key", Json::object());
  EXPECT_TRUE(source.completed());
  EXPECT_FALSE(source.lease_lost().has_value()) << source.lease_lost()->message;
}

}  // namespace
}  // namespace pop::puller
