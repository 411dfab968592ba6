// The container runner against a real Docker engine (the private one ctest starts) with the
// handler image built from this build's pop: results, the environment contract, limits and
// labels, logs, failures that name their cause, termination, and that no container outlives
// its attempt however it ends.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "docker/docker_engine.h"
#include "metrics/metrics_registry.h"
#include "runner/docker/docker_runner.h"
#include "testing/container_tests.h"
#include "testing/recording_listener.h"
#include "testing/subprocess.h"
#include "util/process_identity.h"
#include "util/temp_dir.h"

namespace pop {
namespace {

using namespace std::chrono_literals;
using docker::DockerEngine;
using testing::kWait;
using testing::RecordingListener;

class DockerRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = DockerEngine::connect(testing::test_docker_host());
    ASSERT_TRUE(engine.has_value()) << engine.error().message;
    engine_.emplace(std::move(*engine));
    ASSERT_TRUE(engine_->ping().has_value()) << "no engine at " << testing::test_docker_host();
    pool_ = "pool-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto runner = DockerRunner::create({.engine_host = testing::test_docker_host(),
                                        .work_root = work_root_.path(),
                                        .resource_pool_id = pool_});
    ASSERT_TRUE(runner.has_value()) << runner.error().message;
    runner_ = std::move(*runner);
  }

  void TearDown() override {
    runner_.reset();
    EXPECT_EQ(pool_containers(), 0u) << "containers left behind";
    EXPECT_TRUE(std::filesystem::is_empty(work_root_.path())) << "attempt directories left";
  }

  LaunchRequest sample(Json payload) {
    LaunchRequest request;
    request.agenda_id = "agenda-1";
    request.operation_name = "Op one";
    request.operation_type = "sample";
    request.customer_id = "acme";
    request.insight_id = "fast";
    request.attempt = 2;
    request.payload = std::move(payload);
    request.handler.command = {"pop", "handler", "sample"};
    request.handler.container.image = POP_TEST_IMAGE;
    return request;
  }

  LaunchRequest shell(const std::string& script) {
    LaunchRequest request = sample(nullptr);
    request.handler.command = {"sh", "-c", script};
    return request;
  }

  std::size_t pool_containers() {
    auto ids = engine_->list_containers({"pop.resourcePoolId=" + pool_});
    EXPECT_TRUE(ids.has_value()) << ids.error().message;
    return ids ? ids->size() : 0;
  }

  // The single running container of this test's pool, inspected.
  Json inspect_running() {
    for (int i = 0; i < 300; ++i) {
      auto ids = engine_->list_containers({"pop.resourcePoolId=" + pool_});
      if (ids && ids->size() == 1) {
        auto state = engine_->inspect_container(ids->front());
        if (state && state->value("/State/Running"_json_pointer, false)) return *state;
      }
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "no running container";
    return {};
  }

  TempDir work_root_ = *TempDir::create("docker-runner-test-");
  std::optional<DockerEngine> engine_;
  std::string pool_;
  std::unique_ptr<DockerRunner> runner_;
};

TEST_F(DockerRunnerTest, SampleHandlerRunsInItsImageAndReturnsItsOutput) {
  RecordingListener listener;
  auto run = runner_->start(sample(Json::parse(R"({"resultPayload": {"answer": 42},
                               "actions": [{"action": "log",
                                            "paramsMap": {"logMessage": "hello from a container"}}]})")),
                            listener);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  auto result = listener.wait_finished();
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->succeeded) << result->message << "\n" << result->log_tail;
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->output, (Json{{"answer", 42}}));
  EXPECT_NE(result->log_tail.find("hello from a container"), std::string::npos) << result->log_tail;
  EXPECT_EQ(listener.running_count(), 1);
  EXPECT_FALSE(result->terminated);
  // Every Engine call is counted (pop_docker_requests_total).
  metrics::MetricsRegistry registry;
  const auto collector = registry.add_collector([this] { return runner_->metrics(); });
  const std::string text = registry.text();
  EXPECT_NE(text.find(R"(pop_docker_requests_total{operation="create",status="201"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(pop_docker_requests_total{operation="wait",status="200"} 1)"),
            std::string::npos)
      << text;
  // At least one read of the log: how many depends on how the engine orders the end of a
  // follow against the container's exit (a follow it ends first is read again).
  const std::string logs_reads = R"(pop_docker_requests_total{operation="logs",status="200"} )";
  const auto logs_at = text.find(logs_reads);
  ASSERT_NE(logs_at, std::string::npos) << text;
  EXPECT_GE(std::stoull(text.substr(logs_at + logs_reads.size())), 1u) << text;
}

TEST_F(DockerRunnerTest, ContractEnvironmentLimitsAndLabels) {
  LaunchRequest request = shell(
      "echo \"agenda=$POP_AGENDA_ID op=$POP_OPERATION_NAME customer=$POP_CUSTOMER_ID "
      "attempt=$POP_ATTEMPT payload=$POP_PAYLOAD mine=$MINE report=$POP_REPORT_URL\"; "
      "echo '{\"done\": true}' > \"$POP_OUTPUT_FILE\"; sleep 2");
  request.payload = Json{{"x", 1}};
  request.handler.env = {{"MINE", "yes"}, {"POP_AGENDA_ID", "spoofed"}};
  request.handler.container.memory_bytes = 64LL << 20;
  request.handler.container.cpu_limit = 0.5;
  request.handler.container.cpu_request = 0.25;
  request.report_url = "http://127.0.0.1:1/v1/reports";
  request.report_token = "tok";
  RecordingListener listener;
  auto run = runner_->start(request, listener);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  const Json state = inspect_running();
  EXPECT_EQ(state["HostConfig"]["Memory"], 64LL << 20);
  EXPECT_EQ(state["HostConfig"]["NanoCpus"], 500000000);
  EXPECT_EQ(state["HostConfig"]["CpuShares"], 256);
  const Json labels = state["Config"]["Labels"];
  EXPECT_EQ(labels["pop.agendaId"], "agenda-1");
  EXPECT_EQ(labels["pop.operationName"], "Op one");
  EXPECT_EQ(labels["pop.customerId"], "acme");
  EXPECT_EQ(labels["pop.resourcePoolId"], pool_);
  EXPECT_EQ(labels["pop.insightId"], "fast");
  EXPECT_EQ(labels["pop.operationType"], request.operation_type);
  EXPECT_EQ(labels["pop.attempt"], "2");
  auto result = listener.wait_finished();
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->succeeded) << result->message << "\n" << result->log_tail;
  EXPECT_EQ(result->output, (Json{{"done", true}}));
  EXPECT_NE(result->log_tail.find("agenda=agenda-1 op=Op one customer=acme attempt=2 "
                                  "payload={\"x\":1} mine=yes "
                                  "report=http://127.0.0.1:1/v1/reports"),
            std::string::npos)
      << result->log_tail;
}

TEST_F(DockerRunnerTest, LargePayloadArrivesAsAFile) {
  const std::string big(DockerRunner::kMaxEnvironmentPayloadBytes + 10, 'p');
  LaunchRequest request =
      shell("test -z \"$POP_PAYLOAD\" && wc -c < \"$POP_PAYLOAD_FILE\" > \"$POP_OUTPUT_FILE\"");
  request.payload = big;
  RecordingListener listener;
  auto run = runner_->start(request, listener);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  auto result = listener.wait_finished();
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->succeeded) << result->message << "\n" << result->log_tail;
  EXPECT_EQ(result->output, Json(big.size() + 2));  // the quotes of the JSON string
}

TEST_F(DockerRunnerTest, FailureKeepsTheExitStatusAndTheLogInTheAttemptsLogFile) {
  const auto log_path =
      work_root_.path().parent_path() / (work_root_.path().filename().string() + "-attempt.log");
  // The engine orders the two streams by time stamp only: the pause keeps the order certain.
  LaunchRequest request = shell("echo line one; sleep 0.1; echo to stderr >&2; exit 3");
  request.log_path = log_path;
  RecordingListener listener;
  auto run = runner_->start(request, listener);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  auto result = listener.wait_finished();
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->succeeded);
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_EQ(result->message, "exited with status 3");
  EXPECT_EQ(result->log_tail, "line one\nto stderr\n");
  std::stringstream file;
  file << std::ifstream(log_path).rdbuf();
  EXPECT_EQ(file.str(), "line one\nto stderr\n");
  std::filesystem::remove(log_path);
}

// The puller ships what the attempt's log file gains while the handler runs.
TEST_F(DockerRunnerTest, TheLogFileGrowsWhileTheContainerRuns) {
  const auto log_path =
      work_root_.path().parent_path() / (work_root_.path().filename().string() + "-attempt.log");
  const auto file = [&] {
    std::stringstream text;
    text << std::ifstream(log_path).rdbuf();
    return text.str();
  };
  LaunchRequest request = shell("echo first; sleep 0.1; echo second >&2; sleep 60");
  request.log_path = log_path;
  RecordingListener listener;
  auto run = runner_->start(request, listener);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  EXPECT_TRUE(testing::eventually([&] { return file() == "first\nsecond\n"; }, 20s)) << file();
  EXPECT_EQ(listener.finished_count(), 0);
  (*run)->terminate(0ms);
  auto result = listener.wait_finished();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->log_tail, "first\nsecond\n");
  EXPECT_EQ(file(), "first\nsecond\n");
  std::filesystem::remove(log_path);
}

TEST_F(DockerRunnerTest, OutputThatIsNotJsonFailsTheAttempt) {
  RecordingListener listener;
  auto run = runner_->start(shell("echo 'not json' > \"$POP_OUTPUT_FILE\""), listener);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  auto result = listener.wait_finished();
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->succeeded);
  EXPECT_NE(result->message.find("not valid JSON"), std::string::npos) << result->message;
}

TEST_F(DockerRunnerTest, MissingImageFailsFastNamingTheImage) {
  LaunchRequest request = sample(nullptr);
  request.handler.container.image = "pop-test/no-such-image:1";
  RecordingListener listener;
  const auto started = std::chrono::steady_clock::now();
  auto run = runner_->start(request, listener);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  auto result = listener.wait_finished();
  ASSERT_TRUE(result.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s);
  EXPECT_FALSE(result->succeeded);
  EXPECT_NE(result->message.find("image \"pop-test/no-such-image:1\" is not in the container "
                                 "engine and pulling it failed"),
            std::string::npos)
      << result->message;
  EXPECT_EQ(listener.running_count(), 0);

  request.handler.container.image_pull_policy = "Never";
  RecordingListener never;
  auto again = runner_->start(request, never);
  ASSERT_TRUE(again.has_value());
  auto refused = never.wait_finished();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->message,
            "image \"pop-test/no-such-image:1\" is not in the container engine "
            "(imagePullPolicy Never)");
}

// A terminate() that comes while, or after, the attempt fails before its container exists
// has nothing to stop: it must neither spin nor keep the runner from shutting down.
TEST_F(DockerRunnerTest, TerminateOfAnAttemptWithoutContainerEndsQuietly) {
  LaunchRequest request = sample(nullptr);
  request.handler.container.image = "pop-test/no-such-image:2";
  RecordingListener early;
  auto at_once = runner_->start(request, early);
  ASSERT_TRUE(at_once.has_value());
  (*at_once)->terminate(10ms);
  RecordingListener late;
  auto afterwards = runner_->start(request, late);
  ASSERT_TRUE(afterwards.has_value());
  ASSERT_TRUE(late.wait_finished().has_value());
  (*afterwards)->terminate(10ms);
  ASSERT_TRUE(early.wait_finished().has_value());
  std::this_thread::sleep_for(100ms);  // past both kill deadlines
  const auto stopping = std::chrono::steady_clock::now();
  runner_.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, 5s);
}

TEST_F(DockerRunnerTest, HandlerWithoutImageIsRefusedAtStart) {
  LaunchRequest request = sample(nullptr);
  request.handler.container.image.clear();
  RecordingListener listener;
  auto run = runner_->start(request, listener);
  ASSERT_FALSE(run.has_value());
  EXPECT_EQ(run.error().message, "handler type \"sample\" has no image for the container runner");
}

TEST_F(DockerRunnerTest, TerminateStopsTheContainerAndRemovesIt) {
  RecordingListener listener;
  // A shell that ignores SIGTERM: only the SIGKILL after the grace ends it.
  auto run = runner_->start(shell("trap '' TERM; echo started; sleep 60 & wait"), listener);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  inspect_running();
  const auto asked = std::chrono::steady_clock::now();
  (*run)->terminate(1s);
  auto result = listener.wait_finished();
  ASSERT_TRUE(result.has_value());
  const auto took = std::chrono::steady_clock::now() - asked;
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 20s);
  EXPECT_TRUE(result->terminated);
  EXPECT_FALSE(result->succeeded);
  EXPECT_EQ(result->signal, 9);
  EXPECT_EQ(result->message.rfind("terminated after request: ", 0), 0u) << result->message;
  EXPECT_EQ(pool_containers(), 0u);
}

TEST_F(DockerRunnerTest, TerminateOfAHandlerThatHonoursSigtermIsQuick) {
  RecordingListener listener;
  auto run = runner_->start(sample(Json::parse(R"({"actions": [{"action": "log",
                                     "paramsMap": {"sleepMilliseconds": 60000}}]})")),
                            listener);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  inspect_running();
  const auto asked = std::chrono::steady_clock::now();
  (*run)->terminate(30s);
  auto result = listener.wait_finished();
  ASSERT_TRUE(result.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 10s);
  EXPECT_TRUE(result->terminated);
  EXPECT_EQ(pool_containers(), 0u);
}

TEST_F(DockerRunnerTest, DestroyingTheRunRemovesTheContainerAtOnce) {
  RecordingListener listener;
  auto run = runner_->start(shell("sleep 60"), listener);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  inspect_running();
  run->reset();
  EXPECT_EQ(pool_containers(), 0u);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(listener.finished_count(), 0);
}

TEST_F(DockerRunnerTest, RunnerShutdownEndsWhatRunsAndTellsTheListener) {
  RecordingListener listener;
  auto run = runner_->start(shell("sleep 60"), listener);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  inspect_running();
  runner_.reset();
  auto result = listener.wait_finished();
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->terminated);
  EXPECT_EQ(result->message.rfind("terminated by runner shutdown: ", 0), 0u) << result->message;
  EXPECT_EQ(pool_containers(), 0u);
}

TEST_F(DockerRunnerTest, StartUpRemovesThePoolsLeftoversOfPullersThatAreGone) {
  // What a puller killed with -9 leaves: a running container labelled with its pool and with
  // its process, which no longer exists.
  const pid_t dead_child = ::fork();
  ASSERT_GE(dead_child, 0);
  if (dead_child == 0) ::_exit(0);
  const auto dead = ProcessIdentity::of(dead_child);
  ASSERT_TRUE(dead.has_value());
  ::waitpid(dead_child, nullptr, 0);
  const auto container = [&](const std::string& name, const std::string& pool,
                             const std::string& owner) {
    Json labels = {{"pop.managedBy", "pop"}, {"pop.resourcePoolId", pool}};
    if (!owner.empty()) labels["pop.owner"] = owner;
    auto id =
        engine_->create_container(name + "-" + pool_, {{"Image", POP_TEST_IMAGE},
                                                       {"Cmd", {"sleep", "60"}},
                                                       {"Labels", labels},
                                                       {"HostConfig", {{"NetworkMode", "none"}}}});
    EXPECT_TRUE(id.has_value()) << id.error().message;
    if (id) {
      EXPECT_TRUE(engine_->start_container(*id).has_value());
    }
    return id.value_or("");
  };
  container("left-by-dead", pool_, dead->text());
  container("unlabelled", pool_, "");  // from a puller that did not label its process
  // A puller of the same pool that still runs (this test process) keeps its container, and
  // another pool's container is not this puller's to remove.
  const std::string live = container("live", pool_, ProcessIdentity::self().text());
  const std::string other = container("other", "elsewhere", dead->text());
  auto restarted = DockerRunner::create({.engine_host = testing::test_docker_host(),
                                         .work_root = work_root_.path(),
                                         .resource_pool_id = pool_});
  ASSERT_TRUE(restarted.has_value()) << restarted.error().message;
  EXPECT_EQ((*restarted)->reaped_at_start(), 2u);
  EXPECT_EQ(pool_containers(), 1u);
  EXPECT_TRUE(engine_->inspect_container(live).has_value());
  EXPECT_TRUE(engine_->inspect_container(other).has_value());
  ASSERT_TRUE(engine_->remove_container(live).has_value());
  ASSERT_TRUE(engine_->remove_container(other).has_value());
}

TEST_F(DockerRunnerTest, CountsTheInsightsCreatedAndRunningContainersOfEveryPuller) {
  const std::string insight = "limited-" + pool_;
  auto active = [&](const std::string& insight_id) -> std::size_t {
    auto count = runner_->active_handlers(insight_id);
    EXPECT_TRUE(count.has_value() && count->has_value())
        << (count ? "cannot tell" : count.error().message);
    return count && *count ? **count : 999;
  };
  EXPECT_EQ(active(insight), 0u);
  auto of_insight = [&](const std::string& insight_id) {
    LaunchRequest request = shell("sleep 60");
    request.insight_id = insight_id;
    return request;
  };
  RecordingListener first, second, unrelated, elsewhere;
  auto run_first = runner_->start(of_insight(insight), first);
  auto run_second = runner_->start(of_insight(insight), second);
  auto run_unrelated = runner_->start(of_insight("other-" + pool_), unrelated);
  ASSERT_TRUE(run_first && run_second && run_unrelated);
  // Counted from start() on, before their containers exist.
  EXPECT_EQ(active(insight), 2u);
  // Another puller sharing the engine: its containers count too.
  auto neighbour = DockerRunner::create({.engine_host = testing::test_docker_host(),
                                         .work_root = work_root_.path(),
                                         .resource_pool_id = pool_ + "-neighbour"});
  ASSERT_TRUE(neighbour.has_value()) << neighbour.error().message;
  auto run_elsewhere = (*neighbour)->start(of_insight(insight), elsewhere);
  ASSERT_TRUE(run_elsewhere.has_value());
  EXPECT_TRUE(pop::testing::eventually([&] { return active(insight) == 3u; }, 30s));
  // A container created and never started counts; an exited one does not.
  auto labelled = [&](const std::string& name, const char* command) {
    auto id = engine_->create_container(name + "-" + pool_,
                                        {{"Image", POP_TEST_IMAGE},
                                         {"Cmd", {command}},
                                         {"Labels",
                                          {{"pop.managedBy", "pop"},
                                           {"pop.insightId", insight},
                                           {"pop.resourcePoolId", pool_ + "-manual"}}},
                                         {"HostConfig", {{"NetworkMode", "none"}}}});
    EXPECT_TRUE(id.has_value()) << id.error().message;
    return id ? *id : "";
  };
  const std::string created = labelled("created", "true");
  const std::string exited = labelled("exited", "true");
  ASSERT_TRUE(engine_->start_container(exited).has_value());
  ASSERT_TRUE(engine_->wait_container(exited).has_value());
  EXPECT_EQ(active(insight), 4u);
  ASSERT_TRUE(engine_->remove_container(created).has_value());
  ASSERT_TRUE(engine_->remove_container(exited).has_value());

  (*run_first)->terminate(0ms);
  (*run_elsewhere)->terminate(0ms);
  ASSERT_TRUE(first.wait_finished() && elsewhere.wait_finished());
  EXPECT_EQ(active(insight), 1u);
  EXPECT_EQ(active("other-" + pool_), 1u);
  (*run_second)->terminate(0ms);
  (*run_unrelated)->terminate(0ms);
  ASSERT_TRUE(second.wait_finished() && unrelated.wait_finished());
  EXPECT_EQ(active(insight), 0u);
}

TEST_F(DockerRunnerTest, UnreachableEngineIsAClearStartUpError) {
  auto runner = DockerRunner::create(
      {.engine_host = "unix:///nonexistent/docker.sock", .work_root = work_root_.path()});
  ASSERT_FALSE(runner.has_value());
  EXPECT_NE(runner.error().message.find("container engine at /nonexistent/docker.sock"),
            std::string::npos)
      << runner.error().message;
  auto tcp = DockerRunner::create({.engine_host = "tcp://10.0.0.1:2375", .work_root = "/tmp"});
  ASSERT_FALSE(tcp.has_value());
  EXPECT_NE(tcp.error().message.find("is not a Unix socket"), std::string::npos);
}

}  // namespace
}  // namespace pop
