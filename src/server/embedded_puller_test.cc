// The embedded puller end to end: service, SQLite store, agent and local runner with real
// handler processes.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "puller/puller_agent.h"
#include "runner/local/local_runner.h"
#include "server/local_work_source.h"
#include "service/config/config_algorithm.h"
#include "service/reports/report_secret.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/subprocess.h"
#include "util/temp_dir.h"

namespace pop::server {
namespace {

using namespace std::chrono_literals;
using puller::AgentOptions;
using puller::PullerAgent;
using puller::WorkSource;

// The local runner on a platform it shares with other pullers: `foreign` handlers of each
// insight run there too, as a container or Pod runner would count them. `blind`: it cannot
// count at all; `failing`: counting fails.
class SharedPlatformRunner final : public Runner {
 public:
  explicit SharedPlatformRunner(Runner& inner) : inner_(inner) {}

  Result<std::unique_ptr<HandlerRun>> start(const LaunchRequest& request,
                                            RunListener& listener) override {
    return inner_.start(request, listener);
  }

  Result<std::optional<std::size_t>> active_handlers(const std::string& insight_id) override {
    std::lock_guard lock(mutex);
    if (failing) return fail(ErrorCode::kUnavailable, "the platform does not answer");
    if (blind) return std::optional<std::size_t>();
    auto own = inner_.active_handlers(insight_id);
    if (!own || !*own) return own;
    return std::optional<std::size_t>(**own + foreign[insight_id]);
  }

  std::mutex mutex;
  std::map<std::string, std::size_t> foreign;
  bool blind = false;
  bool failing = false;

 private:
  Runner& inner_;
};

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
    queues_ = std::make_unique<scheduler::InsightQueues>(
        [this](const std::string& pool, const std::string& insight) {
          signal_.notify(pool, insight);
        });
    ASSERT_TRUE(registry_
                    .merge_json(Json::parse(R"({"handlers": {
                        "echo": {"command": ["/bin/sh", "-c", "printf '%s' \"$POP_PAYLOAD\" > \"$POP_OUTPUT_FILE\""]},
                        "slow": {"command": ["/bin/sh", "-c", "sleep 300"]},
                        "limited": {"command": ["/bin/sh", "-c", "mkdir \"$DIR/limited.lock\" || touch \"$DIR/overlap\"; touch \"$DIR/started-$POP_AGENDA_ID\"; while [ ! -e \"$DIR/release\" ]; do sleep 0.02; done; sleep 0.1; rmdir \"$DIR/limited.lock\""],
                                    "env": {"DIR": ")" +
                                            dir_->path().string() + R"("}},
                        "held": {"command": ["/bin/sh", "-c", "touch \"$DIR/started-$POP_AGENDA_ID\"; while [ ! -e \"$DIR/release\" ]; do sleep 0.02; done"],
                                 "env": {"DIR": ")" +
                                            dir_->path().string() + R"("}},
                        "polite": {"command": ["/bin/sh", "-c", "trap 'sleep 1; touch \"$DIR/term-$POP_AGENDA_ID\"; exit 0' TERM; touch \"$DIR/started-$POP_AGENDA_ID\"; while true; do sleep 0.02; done"],
                                   "terminationGraceSeconds": 20,
                                   "env": {"DIR": ")" +
                                            dir_->path().string() + R"("}},
                        "reporter": {"command": ["/bin/sh", "-c", "printf '%s %s' \"$POP_REPORT_URL\" \"$POP_REPORT_TOKEN\" > \"$DIR/reporter.env.tmp\" && mv \"$DIR/reporter.env.tmp\" \"$DIR/reporter.env\"; while [ ! -e \"$DIR/go\" ]; do sleep 0.02; done"],
                                     "env": {"DIR": ")" +
                                            dir_->path().string() + R"("}}}})"),
                                "test")
                    .has_value());
    service::ServiceOptions options;
    options.lease_duration = 5s;
    service_ = std::make_unique<service::AgendaService>(
        *store_, *queues_, [this](std::string_view type) { return registry_.has(type); },
        system_clock(), options);
    ASSERT_TRUE(service_->start().has_value());
    auto secret = service::load_or_create_report_secret(*store_, std::chrono::system_clock::now());
    ASSERT_TRUE(secret.has_value());
    reports_ = std::make_unique<service::ReportService>(*store_, *secret, system_clock());
    auto runner = LocalRunner::create({dir_->path() / "work"});
    ASSERT_TRUE(runner.has_value());
    runner_ = std::move(*runner);
    audit_ = std::make_unique<service::AuditTrail>(*store_, system_clock(), null_logger());
    access_ = std::make_unique<service::AgendaAccess>(*service_, *audit_, *reports_);
    logs_ = std::make_unique<service::AttemptLogs>(*access_, *store_, system_clock(),
                                                   service::AttemptLogOptions{});
    source_ = std::make_unique<server::LocalWorkSource>(
        *access_, signal_, *reports_, *logs_, auth::puller_principal("embedded", "default"),
        "embedded", system_clock());
  }

  std::string submit(const std::string& body) {
    auto submitted = service_->submit(
        {.customer_id = "acme", .document = Json::parse(body), .idempotency_key = ""});
    EXPECT_TRUE(submitted.has_value()) << submitted.error().message;
    return submitted ? submitted->agenda["id"].get<std::string>() : "";
  }

  // An insight of the default pool with an executionLimit, which agendas of type `limited`
  // bind to (the others go to the catch-all insight `default`, which has no limit).
  void add_limited_insight(int execution_limit) {
    scheduler::Insight insight;
    insight.id = "limited";
    insight.resource_pool_id = "default";
    insight.queue_size = 10;
    insight.is_global = true;
    insight.execution_limit = execution_limit;
    insight.mappers = {{scheduler::kMapperOperationType, {"limited"}}};
    ASSERT_TRUE(queues_
                    ->configure(insight, service::queue_config(insight, {}),
                                std::chrono::system_clock::now())
                    .has_value());
  }

  std::size_t started_count() {
    std::size_t started = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir_->path()))
      started += entry.path().filename().string().starts_with("started-") ? 1 : 0;
    return started;
  }
  bool started(const std::string& id) {
    return std::filesystem::exists(dir_->path() / ("started-" + id));
  }
  void release() { std::ofstream(dir_->path() / "release") << ""; }

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
  server::ReadySignal signal_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<scheduler::InsightQueues> queues_;
  HandlerRegistry registry_ = HandlerRegistry::builtin("/unused");
  std::unique_ptr<service::AgendaService> service_;
  std::unique_ptr<service::ReportService> reports_;
  std::unique_ptr<service::AuditTrail> audit_;
  std::unique_ptr<service::AgendaAccess> access_;
  std::unique_ptr<service::AttemptLogs> logs_;
  std::unique_ptr<LocalRunner> runner_;
  std::unique_ptr<server::LocalWorkSource> source_;
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

// A cancelled agenda's lease is refused at the next heartbeat (409), a deleted one's is gone
// (404): either way the handler is stopped as the handler contract says, SIGTERM first and
// SIGKILL only after its terminationGraceSeconds, so it can clean up: this one takes a
// second to do so (a SIGKILL right after the SIGTERM would leave no trace).
TEST_F(PullerAgentTest, HandlersOfACancelledOrDeletedAgendaGetSigtermAndTheirGrace) {
  AgentOptions options;
  options.report_interval = 50ms;
  PullerAgent agent(*source_, registry_, *runner_, options);
  std::thread loop([&] { agent.run(); });
  const std::string agenda = R"({"operations": [{"name": "p", "type": "polite"}]})";
  const std::string cancelled = submit(agenda);
  const std::string deleted = submit(agenda);
  ASSERT_TRUE(pop::testing::eventually([&] { return started(cancelled) && started(deleted); }));
  ASSERT_TRUE(service_->cancel(cancelled).has_value());
  ASSERT_TRUE(service_->remove(deleted).has_value());
  for (const auto& id : {cancelled, deleted}) {
    EXPECT_TRUE(pop::testing::eventually([&] {
      return std::filesystem::exists(dir_->path() / ("term-" + id));
    })) << "the handler of "
        << id << " saw no SIGTERM";
  }
  agent.stop();
  loop.join();
}

// The report endpoint's server side is called directly here (the HTTP route is tested end
// to end in api/report_routes_test.cc): what a handler reports becomes its operation's
// progress, and its output, reported just before it exits without an output file, is what
// the dependant operation gets.
TEST_F(PullerAgentTest, WhatAHandlerReportsReachesProgressAndTheDependant) {
  AgentOptions options;
  options.report_interval = 50ms;
  options.report_url = "http://pop.test:8080/v1/reports";
  PullerAgent agent(*source_, registry_, *runner_, options);
  std::thread loop([&] { agent.run(); });
  const std::string id = submit(R"({"operations": [{"name": "a", "type": "reporter"},
      {"name": "b", "type": "echo", "payload": {"got": "@<a.out::frames>"}}]})");

  const auto env_file = dir_->path() / "reporter.env";
  ASSERT_TRUE(pop::testing::eventually([&] { return std::filesystem::exists(env_file); }));
  const std::string env = pop::testing::read_file(env_file.string());
  const auto space = env.find(' ');
  ASSERT_NE(space, std::string::npos) << env;
  EXPECT_EQ(env.substr(0, space), options.report_url);
  auto claims = reports_->verify(env.substr(space + 1));
  ASSERT_TRUE(claims.has_value()) << env;
  EXPECT_EQ(claims->agenda_id, id);
  EXPECT_EQ(claims->operation, "a");
  EXPECT_EQ(claims->attempt, 1);

  service::HandlerReport progress;
  progress.percent_complete = 40;
  progress.message = "pass 1 of 2";
  ASSERT_TRUE(reports_->accept(*claims, progress).has_value());
  ASSERT_TRUE(pop::testing::eventually([&] {
    auto stored = service_->progress(id);
    if (!stored) return false;
    const Json& a = (*stored)["operationProgress"][0];
    return a["percentComplete"] == 40 && a["processingStateMessage"] == "running" &&
           a.value("message", "") == "pass 1 of 2";
  })) << service_->progress(id)->dump(2);

  service::HandlerReport output;
  output.output = Json{{"frames", 1200}, {"log", std::string(10000, 'l')}};
  ASSERT_TRUE(reports_->accept(*claims, output).has_value());
  std::ofstream(dir_->path() / "go") << "";  // the handler exits 0 without an output file
  EXPECT_TRUE(wait_for_state(id, "succeeded"));
  agent.stop();
  loop.join();
  auto stored = service_->progress(id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ((*stored)["operationProgress"][0]["resultPayload"], *output.output);
  EXPECT_EQ((*stored)["operationProgress"][1]["resultPayload"], Json({{"got", 1200}}));
}

TEST_F(PullerAgentTest, WithoutAReportUrlHandlersGetNoReportEndpoint) {
  AgentOptions options;
  options.report_interval = 50ms;
  PullerAgent agent(*source_, registry_, *runner_, options);
  std::thread loop([&] { agent.run(); });
  std::ofstream(dir_->path() / "go") << "";
  const std::string id = submit(R"({"operations": [{"name": "a", "type": "reporter"}]})");
  EXPECT_TRUE(wait_for_state(id, "succeeded"));
  agent.stop();
  loop.join();
  EXPECT_EQ(pop::testing::read_file((dir_->path() / "reporter.env").string()), " ");
}

// An agent running on a thread of its own, stopped and joined when it goes out of scope,
// also when an assertion ends the test early.
class RunningAgent {
 public:
  RunningAgent(WorkSource& source, const HandlerRegistry& registry, Runner& runner,
               AgentOptions options)
      : agent_(source, registry, runner, std::move(options)), loop_([this] { agent_.run(); }) {}
  ~RunningAgent() { stop(); }
  RunningAgent(const RunningAgent&) = delete;
  RunningAgent& operator=(const RunningAgent&) = delete;

  void stop() {
    agent_.stop();
    if (loop_.joinable()) loop_.join();
  }
  std::size_t running() const { return agent_.running(); }

 private:
  PullerAgent agent_;
  std::thread loop_;  // last: runs the agent above
};

// A finished agenda leaves the count of running ones (pop_puller_slots_in_use) at once, not
// when the agent next reaps it, which may be a long poll later.
TEST_F(PullerAgentTest, AFinishedAgendaIsNotCountedAsRunningWhileTheAgentWaitsForWork) {
  AgentOptions options;
  options.capacity = 2;
  options.report_interval = 50ms;
  options.pull_wait = 60s;
  RunningAgent agent(*source_, registry_, *runner_, options);
  const std::string id = submit(R"({"operations": [{"name": "only", "type": "echo"}]})");
  ASSERT_TRUE(wait_for_state(id, "succeeded"));
  EXPECT_TRUE(pop::testing::eventually([&] { return agent.running() == 0; }));
}

// The source the agent pulls from, with a log store that takes `stall` to answer each chunk;
// it counts the reports that reach it.
class SlowLogSource final : public WorkSource {
 public:
  SlowLogSource(WorkSource& inner, std::chrono::milliseconds stall)
      : inner_(inner), stall_(stall) {}

  Result<PullAnswer> pull(std::size_t max, std::chrono::milliseconds wait,
                          const std::optional<Resources>& available,
                          const std::set<std::string>& skip_insight_ids) override {
    return inner_.pull(max, wait, available, skip_insight_ids);
  }
  Result<void> report(const std::string& agenda_id, std::uint64_t epoch,
                      const std::string& lease_key, const Json& progress) override {
    ++reports;
    return inner_.report(agenda_id, epoch, lease_key, progress);
  }
  Result<void> complete(const std::string& agenda_id, std::uint64_t epoch,
                        const std::string& lease_key, const Json& progress) override {
    return inner_.complete(agenda_id, epoch, lease_key, progress);
  }
  Result<ReportedProgress> reported_progress(const std::string& agenda_id, std::uint64_t epoch,
                                             std::uint64_t after) override {
    return inner_.reported_progress(agenda_id, epoch, after);
  }
  Result<std::optional<Json>> reported_output(const std::string& agenda_id, std::uint64_t epoch,
                                              const std::string& operation, int attempt) override {
    return inner_.reported_output(agenda_id, epoch, operation, attempt);
  }
  Result<puller::LogChunkAnswer> append_log(const std::string& agenda_id, std::uint64_t epoch,
                                            const std::string& lease_key,
                                            const puller::LogChunk& chunk) override {
    appending = true;
    std::this_thread::sleep_for(stall_);
    return inner_.append_log(agenda_id, epoch, lease_key, chunk);
  }
  void wake() override { inner_.wake(); }

  std::atomic<int> reports{0};
  std::atomic<bool> appending{false};

 private:
  WorkSource& inner_;
  const std::chrono::milliseconds stall_;
};

// Logs are shipped beside the heartbeat, not before it: a log store that takes longer than
// the lease to store a chunk (under load, or a chatty handler's many chunks) does not hold
// back the reports that keep the lease.
TEST_F(PullerAgentTest, ASlowLogStoreDoesNotHoldBackTheHeartbeat) {
  SlowLogSource source(*source_, 3s);
  AgentOptions options;
  options.report_interval = 50ms;
  options.report_url = "http://pop.test:8080/v1/reports";
  RunningAgent agent(source, registry_, *runner_, options);
  const std::string id = submit(R"({"operations": [{"name": "a", "type": "held"}]})");
  ASSERT_TRUE(pop::testing::eventually([&] { return source.appending.load(); }));
  const int before = source.reports.load();
  std::this_thread::sleep_for(1s);
  EXPECT_GE(source.reports.load() - before, 5) << "reports in the second after a chunk stalled";
  release();
  EXPECT_TRUE(wait_for_state(id, "succeeded"));
}

// Three agendas of an insight limited to one handler and one of the catch-all insight, on a
// puller with four slots: the free one runs beside the first limited one, the other two
// limited ones wait, and they run one after the other. The handlers of the limited insight
// hold a lock directory and mark any overlap.
class PullerAgentLimitTest : public PullerAgentTest {
 public:
  void run_limited_and_free(Runner& runner) {
    add_limited_insight(1);
    AgentOptions options;
    options.capacity = 4;
    options.report_interval = 50ms;
    std::vector<std::string> limited;
    for (int i = 0; i < 3; ++i)
      limited.push_back(submit(R"({"operations": [{"name": "a", "type": "limited"}]})"));
    const std::string free = submit(R"({"operations": [{"name": "a", "type": "held"}]})");
    RunningAgent agent(*source_, registry_, runner, options);

    ASSERT_TRUE(pop::testing::eventually([&] { return started(free) && started_count() == 2; }))
        << "the free agenda runs beside one limited agenda";
    // Several pull rounds later, with two slots free, still one limited agenda runs.
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(started_count(), 2u);
    EXPECT_EQ(agent.running(), 2u);
    const auto waiting = std::count_if(limited.begin(), limited.end(), [&](const auto& id) {
      return (*service_->progress(id))["processingState"] == "WAITING";
    });
    EXPECT_EQ(waiting, 2);

    release();
    for (const auto& id : limited) EXPECT_TRUE(wait_for_state(id, "succeeded")) << id;
    EXPECT_TRUE(wait_for_state(free, "succeeded"));
    agent.stop();
    EXPECT_FALSE(std::filesystem::exists(dir_->path() / "overlap"))
        << "two handlers of the limited insight ran at once";
  }
};

TEST_F(PullerAgentLimitTest, AnInsightAtItsLimitIsNotAdmittedWhileOthersRun) {
  run_limited_and_free(*runner_);
}

TEST_F(PullerAgentLimitTest, ARunnerThatCannotCountLeavesTheAgentsOwnCount) {
  SharedPlatformRunner blind(*runner_);
  blind.blind = true;
  run_limited_and_free(blind);
}

TEST_F(PullerAgentLimitTest, HandlersOfOtherPullersOnThePlatformCountAndAFailedCountSkips) {
  add_limited_insight(1);
  SharedPlatformRunner shared(*runner_);
  {
    std::lock_guard lock(shared.mutex);
    shared.foreign["limited"] = 1;
  }
  AgentOptions options;
  options.capacity = 4;
  options.report_interval = 50ms;
  RunningAgent agent(*source_, registry_, shared, options);
  // A first pull answer tells the agent the limits.
  const std::string first = submit(R"({"operations": [{"name": "a", "type": "echo"}]})");
  ASSERT_TRUE(wait_for_state(first, "succeeded"));

  const std::string limited = submit(R"({"operations": [{"name": "a", "type": "limited"}]})");
  release();
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ((*service_->progress(limited))["processingState"], "WAITING")
      << "admitted while another puller's handler ran";
  {
    std::lock_guard lock(shared.mutex);
    shared.foreign["limited"] = 0;
    shared.failing = true;
  }
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ((*service_->progress(limited))["processingState"], "WAITING")
      << "admitted while the count failed";
  // Work of the other insights goes on meanwhile.
  const std::string other = submit(R"({"operations": [{"name": "a", "type": "echo"}]})");
  EXPECT_TRUE(wait_for_state(other, "succeeded"));
  {
    std::lock_guard lock(shared.mutex);
    shared.failing = false;
  }
  EXPECT_TRUE(wait_for_state(limited, "succeeded"));
}

}  // namespace
}  // namespace pop::server
