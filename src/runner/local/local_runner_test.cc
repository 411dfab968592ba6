// The local runner with real processes (/bin/sh scripts): results, the environment
// contract, logs, progress, termination, and that nothing (process or file) outlives an
// attempt, however it ends.
#include "runner/local/local_runner.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "runner/local/pidfd.h"
#include "testing/file_contents.h"
#include "testing/recording_listener.h"
#include "testing/subprocess.h"
#include "util/temp_dir.h"

namespace pop {
namespace {

using namespace std::chrono_literals;

using testing::kWait;
using testing::RecordingListener;

// Waits for a process that is not our child to exit (a zombie counts as exited).
bool process_exits(pid_t pid, std::chrono::milliseconds timeout = kWait) {
  const int fd = pidfd_open(pid);
  if (fd < 0) return errno == ESRCH;
  pollfd entry{fd, POLLIN, 0};
  const bool exited = ::poll(&entry, 1, static_cast<int>(timeout.count())) == 1;
  ::close(fd);
  return exited;
}

using pop::testing::read_file;

pid_t read_pid(const std::filesystem::path& path) { return std::stoi(read_file(path)); }

// Sets an environment variable for one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

// Tells the test the script got this far.
constexpr char kReady[] = R"(echo '{"percentComplete": 1, "message": "ready"}' >&3; )";

class LocalRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto root = TempDir::create("pop-local-runner-test-");
    ASSERT_TRUE(root) << root.error().message;
    root_.emplace(std::move(*root));
    work_root_ = root_->path() / "work";
    scratch_ = root_->path() / "scratch";
    std::filesystem::create_directory(work_root_);
    std::filesystem::create_directory(scratch_);
    runner_ = make_runner({});
  }

  void TearDown() override {
    runner_.reset();
    EXPECT_TRUE(std::filesystem::is_empty(work_root_)) << "attempt directories were left behind";
  }

  std::unique_ptr<LocalRunner> make_runner(LocalRunner::Options options) {
    options.work_root = work_root_;
    auto runner = LocalRunner::create(std::move(options));
    EXPECT_TRUE(runner) << runner.error().message;
    return runner ? std::move(*runner) : nullptr;
  }

  // The script gets the scratch directory as $1.
  LaunchRequest shell(const std::string& script) const {
    LaunchRequest request;
    request.agenda_id = "agenda-7";
    request.operation_name = "op/one";
    request.operation_type = "shell";
    request.customer_id = "customer-3";
    request.attempt = 2;
    request.payload = {{"greeting", "hello"}};
    request.handler.command = {"/bin/sh", "-c", script, "sh", scratch_.string()};
    return request;
  }

  HandlerResult run(const LaunchRequest& request, LocalRunner* runner = nullptr) {
    RecordingListener listener;
    auto started = (runner != nullptr ? runner : runner_.get())->start(request, listener);
    EXPECT_TRUE(started) << started.error().message;
    if (!started) return {};
    auto result = listener.wait_finished();
    EXPECT_TRUE(result) << "the handler did not finish";
    return result ? std::move(*result) : HandlerResult{};
  }

  std::optional<TempDir> root_;
  std::filesystem::path work_root_;
  std::filesystem::path scratch_;
  std::unique_ptr<LocalRunner> runner_;
};

TEST_F(LocalRunnerTest, SucceedsWithTheOutputFileAsOutput) {
  const auto result = run(shell(R"(printf '{"answer": [4, 2]}' > "$POP_OUTPUT_FILE")"));
  EXPECT_TRUE(result.succeeded) << result.message;
  EXPECT_FALSE(result.terminated);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.signal, std::nullopt);
  EXPECT_EQ(result.output, Json::parse(R"({"answer": [4, 2]})"));
  EXPECT_EQ(result.message, "");
  EXPECT_LE(result.launched_at, result.observed_end_at);
  EXPECT_LE(result.started, result.ended);
}

TEST_F(LocalRunnerTest, ReportsRunningBeforeItCanFinish) {
  RecordingListener listener;
  auto started = runner_->start(shell("true"), listener);
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_EQ(listener.running_count(), 1);
  ASSERT_TRUE(listener.wait_finished());
}

TEST_F(LocalRunnerTest, NoOrEmptyOutputFileMeansNullOutput) {
  for (const char* script : {"true", R"(: > "$POP_OUTPUT_FILE")", R"(echo > "$POP_OUTPUT_FILE")"}) {
    const auto result = run(shell(script));
    EXPECT_TRUE(result.succeeded) << script << ": " << result.message;
    EXPECT_TRUE(result.output.is_null()) << script;
  }
}

TEST_F(LocalRunnerTest, InvalidJsonOutputFailsTheAttempt) {
  const auto result = run(shell(R"(printf '{"unterminated": ' > "$POP_OUTPUT_FILE")"));
  EXPECT_FALSE(result.succeeded);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_TRUE(result.message.starts_with("output file is not valid JSON: ")) << result.message;
}

TEST_F(LocalRunnerTest, OversizedOutputFailsTheAttempt) {
  LocalRunner::Options options;
  options.max_output_bytes = 16;
  auto runner = make_runner(options);
  const auto result =
      run(shell(R"(printf '"0123456789abcdefghij"' > "$POP_OUTPUT_FILE")"), runner.get());
  EXPECT_FALSE(result.succeeded);
  EXPECT_NE(result.message.find("larger than the limit of 16 bytes"), std::string::npos)
      << result.message;
}

TEST_F(LocalRunnerTest, MissingCommandFailsAtStartAndLeavesNothingBehind) {
  LaunchRequest request = shell("");
  request.handler.command = {"pop-test-no-such-command", "arg"};
  request.log_path = scratch_ / "attempt.log";
  RecordingListener listener;
  const auto started = runner_->start(request, listener);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(started.error().message.find("pop-test-no-such-command"), std::string::npos)
      << started.error().message;
  EXPECT_TRUE(std::filesystem::is_empty(work_root_));
  EXPECT_FALSE(std::filesystem::exists(request.log_path));
  EXPECT_EQ(listener.running_count(), 0) << "a handler that never ran was reported running";
  runner_.reset();
  EXPECT_EQ(listener.finished_count(), 0);
}

TEST_F(LocalRunnerTest, UncreatableLogFileFailsAtStart) {
  LaunchRequest request = shell("true");
  request.log_path = scratch_ / "no-such-dir" / "attempt.log";
  RecordingListener listener;
  const auto started = runner_->start(request, listener);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(std::filesystem::is_empty(work_root_));
}

TEST_F(LocalRunnerTest, ReportsTheExitStatus) {
  const auto result = run(shell(R"(echo '{}' > "$POP_OUTPUT_FILE"; exit 3)"));
  EXPECT_FALSE(result.succeeded);
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.signal, std::nullopt);
  EXPECT_EQ(result.message, "exited with status 3");
}

TEST_F(LocalRunnerTest, ReportsTheSignalThatKilledTheHandler) {
  const auto result = run(shell("kill -9 $$"));
  EXPECT_FALSE(result.succeeded);
  EXPECT_FALSE(result.terminated);
  EXPECT_EQ(result.exit_code, std::nullopt);
  EXPECT_EQ(result.signal, 9);
  EXPECT_EQ(result.message, "killed by signal 9 (Killed)");
}

TEST_F(LocalRunnerTest, ExportsTheContractEnvironment) {
  ScopedEnv inherited("HANDLER_TEST_INHERITED", "from-parent");
  ScopedEnv overridden("HANDLER_TEST_OVERRIDDEN", "from-parent");
  LaunchRequest request = shell(R"sh(
    printf '{"attempt": "%s", "agenda": "%s", "operation": "%s", "customer": "%s",
             "progressFd": "%s", "reportUrl": "%s", "reportToken": "%s", "output": "%s",
             "cwd": "%s", "inherited": "%s", "overridden": "%s", "payloadFile": "%s"}' \
      "$POP_ATTEMPT" "$POP_AGENDA_ID" "$POP_OPERATION_NAME" "$POP_CUSTOMER_ID" \
      "$POP_PROGRESS_FD" "$POP_REPORT_URL" "$POP_REPORT_TOKEN" "$POP_OUTPUT_FILE" \
      "$(pwd -P)" "$HANDLER_TEST_INHERITED" "$HANDLER_TEST_OVERRIDDEN" "${POP_PAYLOAD_FILE-unset}" \
      > "$POP_OUTPUT_FILE")sh");
  request.report_url = "http://127.0.0.1:8080/v1/report";
  request.report_token = "secret-token";
  request.handler.env = {{"HANDLER_TEST_OVERRIDDEN", "from-spec"}};
  const auto result = run(request);
  ASSERT_TRUE(result.succeeded) << result.message << "\n" << result.log_tail;
  const Json& env = result.output;
  EXPECT_EQ(env["attempt"], "2");
  EXPECT_EQ(env["agenda"], "agenda-7");
  EXPECT_EQ(env["operation"], "op/one");
  EXPECT_EQ(env["customer"], "customer-3");
  EXPECT_EQ(env["progressFd"], "3");
  EXPECT_EQ(env["reportUrl"], "http://127.0.0.1:8080/v1/report");
  EXPECT_EQ(env["reportToken"], "secret-token");
  EXPECT_EQ(env["inherited"], "from-parent");
  EXPECT_EQ(env["overridden"], "from-spec");
  EXPECT_EQ(env["payloadFile"], "unset");
  // The working directory is private to the attempt, under the work root, and holds the
  // output file.
  const std::filesystem::path output = env["output"].get<std::string>();
  const std::filesystem::path cwd = env["cwd"].get<std::string>();
  EXPECT_EQ(output.parent_path(), cwd);
  EXPECT_EQ(cwd.parent_path(), std::filesystem::canonical(work_root_));
}

TEST_F(LocalRunnerTest, ContractNamesCannotBeInheritedOrSetByTheSpec) {
  ScopedEnv stale_file("POP_PAYLOAD_FILE", "/stale/payload.json");
  ScopedEnv stale_url("POP_REPORT_URL", "http://stale");
  LaunchRequest request = shell(R"(
    printf '{"attempt": "%s", "payloadFile": "%s", "reportUrl": "%s"}' "$POP_ATTEMPT" \
      "${POP_PAYLOAD_FILE-unset}" "${POP_REPORT_URL-unset}" > "$POP_OUTPUT_FILE")");
  request.handler.env = {{"POP_ATTEMPT", "99"}};
  const auto result = run(request);
  ASSERT_TRUE(result.succeeded) << result.message << "\n" << result.log_tail;
  EXPECT_EQ(result.output["attempt"], "2");
  EXPECT_EQ(result.output["payloadFile"], "unset");
  EXPECT_EQ(result.output["reportUrl"], "unset");
}

TEST_F(LocalRunnerTest, SmallPayloadComesInTheEnvironment) {
  LaunchRequest request = shell(R"(printf '%s' "$POP_PAYLOAD" > "$POP_OUTPUT_FILE")");
  request.payload = {{"list", {1, 2, 3}}, {"text", "quote \" and unicode \u00e9"}};
  const auto result = run(request);
  ASSERT_TRUE(result.succeeded) << result.message;
  EXPECT_EQ(result.output, request.payload);
}

TEST_F(LocalRunnerTest, LargePayloadComesAsAFile) {
  LaunchRequest request = shell(R"sh(
    test -z "${POP_PAYLOAD+set}" || exit 9
    test "$(dirname "$POP_PAYLOAD_FILE")" = "$(dirname "$POP_OUTPUT_FILE")" || exit 10
    cat "$POP_PAYLOAD_FILE" > "$POP_OUTPUT_FILE")sh");
  request.payload = {{"blob", std::string(LocalRunner::kMaxEnvironmentPayloadBytes, 'x')}};
  const auto result = run(request);
  ASSERT_TRUE(result.succeeded) << result.message;
  EXPECT_TRUE(result.output == request.payload) << "the payload did not arrive intact";
}

TEST_F(LocalRunnerTest, LogsStdoutAndStderrInOrder) {
  LaunchRequest request = shell("echo out; echo err >&2; printf 'no newline'");
  request.log_path = scratch_ / "attempt.log";
  const auto result = run(request);
  EXPECT_TRUE(result.succeeded) << result.message;
  EXPECT_EQ(read_file(request.log_path), "out\nerr\nno newline");
  EXPECT_EQ(result.log_tail, "out\nerr\nno newline");
}

TEST_F(LocalRunnerTest, CapsTheLogFileButKeepsTheTailMoving) {
  LocalRunner::Options options;
  options.log_tail_bytes = 64;
  auto runner = make_runner(options);
  LaunchRequest request = shell("seq 1 5000; exit 1");
  request.log_path = scratch_ / "attempt.log";
  request.log_limit_bytes = 100;
  const auto result = run(request, runner.get());

  std::string everything;
  for (int i = 1; i <= 5000; ++i) everything += std::to_string(i) + "\n";
  std::string expected_log = everything.substr(0, 100);
  if (expected_log.back() != '\n') expected_log += "\n";
  expected_log += "[pop: log truncated after 100 bytes]\n";
  EXPECT_EQ(read_file(request.log_path), expected_log);
  EXPECT_EQ(result.log_tail, everything.substr(everything.size() - 64));
  EXPECT_EQ(result.message, "exited with status 1");
}

TEST_F(LocalRunnerTest, DeliversProgressLinesToTheListener) {
  RecordingListener listener;
  // Fragments, a bad line and a line split across writes.
  auto run = runner_->start(shell(R"(
    printf '{"percentComplete": 10, "message": "ten"}\nnot json\n{"percentCom' >&3
    sleep 0.05
    printf 'plete": 50.5, "message": "half"}\n{"percentComplete": 250}\n' >&3
    printf '{"message": "no percent"}\n{"percentComplete": 90, "message": "last"}' >&3)"),
                            listener);
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_TRUE(listener.wait_finished());
  const std::vector<std::pair<double, std::string>> expected = {
      {10, "ten"}, {50.5, "half"}, {100, ""}, {90, "last"}};
  EXPECT_EQ(listener.progress(), expected);
}

TEST_F(LocalRunnerTest, TerminateStopsTheHandlerAndEverythingItStarted) {
  RecordingListener listener;
  auto run = runner_->start(
      shell(std::string(R"(sleep 300 & echo $! > "$1/background"; )") + kReady + "sleep 300"),
      listener);
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_TRUE(listener.wait_progress(1));
  const pid_t background = read_pid(scratch_ / "background");

  (*run)->terminate(10s);
  const auto result = listener.wait_finished();
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->terminated);
  EXPECT_FALSE(result->succeeded);
  EXPECT_EQ(result->signal, SIGTERM);
  EXPECT_EQ(result->message, "terminated after request: killed by signal 15 (Terminated)");
  EXPECT_TRUE(process_exits(background));
  if (!process_exits(background, 0ms)) ::kill(background, SIGKILL);
}

TEST_F(LocalRunnerTest, CountsItsActiveHandlersByInsight) {
  auto of_insight = [&](const std::string& insight_id) {
    LaunchRequest request = shell("sleep 300");
    request.insight_id = insight_id;
    return request;
  };
  auto active = [&](const std::string& insight_id) -> std::size_t {
    auto count = runner_->active_handlers(insight_id);
    EXPECT_TRUE(count.has_value() && count->has_value()) << "the local runner always knows";
    return count && *count ? **count : 999;
  };
  EXPECT_EQ(active("encode"), 0u);
  RecordingListener first, second, other;
  auto run_first = runner_->start(of_insight("encode"), first);
  auto run_second = runner_->start(of_insight("encode"), second);
  auto run_other = runner_->start(of_insight("publish"), other);
  ASSERT_TRUE(run_first && run_second && run_other);
  EXPECT_EQ(active("encode"), 2u);
  EXPECT_EQ(active("publish"), 1u);
  EXPECT_EQ(active("archive"), 0u);

  (*run_first)->terminate(0ms);
  ASSERT_TRUE(first.wait_finished());
  // Counted until its process is reaped, which follows the listener's call at once.
  EXPECT_TRUE(pop::testing::eventually([&] { return active("encode") == 1u; }));
  EXPECT_EQ(active("publish"), 1u);
  (*run_second)->terminate(0ms);
  (*run_other)->terminate(0ms);
  ASSERT_TRUE(second.wait_finished() && other.wait_finished());
  EXPECT_TRUE(pop::testing::eventually([&] { return active("encode") + active("publish") == 0u; }));
}

TEST_F(LocalRunnerTest, HandlerIgnoringTermIsKilledAfterTheGrace) {
  RecordingListener listener;
  auto run = runner_->start(shell(std::string("trap '' TERM; ") + kReady + "sleep 300"), listener);
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_TRUE(listener.wait_progress(1));

  const auto terminated_at = std::chrono::steady_clock::now();
  (*run)->terminate(300ms);
  const auto result = listener.wait_finished();
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->terminated);
  EXPECT_EQ(result->signal, SIGKILL);
  EXPECT_GE(result->observed_end_at - terminated_at, 300ms);
}

TEST_F(LocalRunnerTest, ALaterShorterGraceTakesEffect) {
  RecordingListener listener;
  auto run = runner_->start(shell(std::string("trap '' TERM; ") + kReady + "sleep 300"), listener);
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_TRUE(listener.wait_progress(1));

  (*run)->terminate(600s);
  (*run)->terminate(1200s);  // longer: ignored
  (*run)->terminate(50ms);
  const auto result = listener.wait_finished();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->signal, SIGKILL);
}

TEST_F(LocalRunnerTest, TerminateWithoutGraceKillsAtOnce) {
  RecordingListener listener;
  auto run = runner_->start(shell(std::string("trap '' TERM; ") + kReady + "sleep 300"), listener);
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_TRUE(listener.wait_progress(1));
  (*run)->terminate(0ms);
  const auto result = listener.wait_finished();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->signal, SIGKILL);
}

TEST_F(LocalRunnerTest, TerminateAfterTheEndChangesNothing) {
  RecordingListener listener;
  auto run = runner_->start(shell("exit 0"), listener);
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_TRUE(listener.wait_finished());
  (*run)->terminate(0ms);
  (*run)->terminate(1s);
  runner_.reset();
  EXPECT_EQ(listener.finished_count(), 1);
}

TEST_F(LocalRunnerTest, KillsWhatASuccessfulHandlerLeftRunning) {
  const auto result = run(shell(R"(sleep 300 & echo $! > "$1/background"; exit 0)"));
  EXPECT_TRUE(result.succeeded) << result.message;
  EXPECT_FALSE(result.terminated);
  const pid_t background = read_pid(scratch_ / "background");
  EXPECT_TRUE(process_exits(background));
  if (!process_exits(background, 0ms)) ::kill(background, SIGKILL);
}

TEST_F(LocalRunnerTest, DestroyingTheRunKillsTheHandlerAndSilencesTheListener) {
  RecordingListener listener;
  auto run =
      runner_->start(shell(std::string(R"(echo $$ > "$1/leader"; )") +
                           R"(sleep 300 & echo $! > "$1/background"; )" + kReady + "sleep 300"),
                     listener);
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_TRUE(listener.wait_progress(1));
  const pid_t leader = read_pid(scratch_ / "leader");
  const pid_t background = read_pid(scratch_ / "background");

  run->reset();
  EXPECT_TRUE(process_exits(leader));
  EXPECT_TRUE(process_exits(background));
  runner_.reset();  // joins the I/O thread: any callback would have happened by now
  EXPECT_EQ(listener.finished_count(), 0);
  if (!process_exits(background, 0ms)) ::kill(background, SIGKILL);
}

TEST_F(LocalRunnerTest, DestroyingTheRunnerKillsReapsAndCleansUpEverything) {
  constexpr int kRuns = 3;
  RecordingListener listeners[kRuns];
  std::vector<std::unique_ptr<HandlerRun>> runs;
  for (int i = 0; i < kRuns; ++i) {
    const std::string suffix = std::to_string(i);
    auto run = runner_->start(
        shell(R"(echo $$ > "$1/leader)" + suffix + R"("; sleep 300 & echo $! > "$1/background)" +
              suffix + R"("; )" + kReady + "wait"),
        listeners[i]);
    ASSERT_TRUE(run) << run.error().message;
    runs.push_back(std::move(*run));
  }
  for (auto& listener : listeners) ASSERT_TRUE(listener.wait_progress(1));

  runner_.reset();
  for (int i = 0; i < kRuns; ++i) {
    const std::string suffix = std::to_string(i);
    ASSERT_EQ(listeners[i].finished_count(), 1);
    const auto result = listeners[i].wait_finished();
    EXPECT_TRUE(result->terminated);
    EXPECT_EQ(result->message, "terminated by runner shutdown: killed by signal 9 (Killed)");
    EXPECT_TRUE(process_exits(read_pid(scratch_ / ("leader" + suffix)), 0ms));
    const pid_t background = read_pid(scratch_ / ("background" + suffix));
    EXPECT_TRUE(process_exits(background));
    if (!process_exits(background, 0ms)) ::kill(background, SIGKILL);
  }
  EXPECT_TRUE(std::filesystem::is_empty(work_root_));
  // Handles may outlive the runner; using them is harmless.
  runs.front()->terminate(0ms);
  runs.clear();
}

// Starts the next attempt from on_finished, as an executor wanting low latency would, and
// drops the finished run there too.
class Chain : public RunListener {
 public:
  Chain(LocalRunner& runner, LaunchRequest request, std::size_t length)
      : runner_(runner), request_(std::move(request)), length_(length) {}
  void on_running() override {}
  void on_progress(double, const std::string&) override {}
  // The test hears of a result before the next start(), so that it can overlap with it.
  void on_finished(HandlerResult result) override {
    std::unique_ptr<HandlerRun> finished;
    std::size_t count;
    {
      std::lock_guard lock(mutex_);
      results_.push_back(std::move(result));
      finished = std::move(run_);
      count = results_.size();
      changed_.notify_all();
    }
    finished.reset();
    if (count >= length_) return;
    auto next = runner_.start(request_, *this);
    std::lock_guard lock(mutex_);
    if (next) run_ = std::move(*next);
  }
  bool start() {
    std::lock_guard lock(mutex_);
    auto first = runner_.start(request_, *this);
    if (first) run_ = std::move(*first);
    return first.has_value();
  }
  std::size_t wait_results(std::size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, kWait, [&] { return results_.size() >= count; });
    return results_.size();
  }

 private:
  LocalRunner& runner_;
  const LaunchRequest request_;
  const std::size_t length_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<HandlerResult> results_;
  std::unique_ptr<HandlerRun> run_;
};

TEST_F(LocalRunnerTest, ListenerMayStartAndDestroyRunsFromItsCallback) {
  Chain chain(*runner_, shell("true"), 5);
  ASSERT_TRUE(chain.start());
  EXPECT_EQ(chain.wait_results(5), 5u);
  runner_.reset();
  EXPECT_EQ(chain.wait_results(0), 5u);
}

TEST_F(LocalRunnerTest, RunnerMayGoAwayWhileAListenerKeepsStartingRuns) {
  Chain chain(*runner_, shell("true"), 1'000'000);
  ASSERT_TRUE(chain.start());
  ASSERT_GE(chain.wait_results(3), 3u);
  runner_.reset();  // must neither deadlock nor leave a run behind (TearDown checks files)
}

TEST_F(LocalRunnerTest, RunsFiftyHandlersAtOnce) {
  constexpr int kRuns = 50;
  std::vector<std::unique_ptr<RecordingListener>> listeners;
  std::vector<std::unique_ptr<HandlerRun>> runs;
  for (int i = 0; i < kRuns; ++i) {
    LaunchRequest request = shell(R"(echo "attempt $POP_ATTEMPT"; sleep 0.2
      printf '{"attempt": %s}' "$POP_ATTEMPT" > "$POP_OUTPUT_FILE")");
    request.attempt = i + 1;
    listeners.push_back(std::make_unique<RecordingListener>());
    auto run = runner_->start(request, *listeners.back());
    ASSERT_TRUE(run) << run.error().message;
    runs.push_back(std::move(*run));
  }
  for (int i = 0; i < kRuns; ++i) {
    const auto result = listeners[static_cast<std::size_t>(i)]->wait_finished();
    ASSERT_TRUE(result);
    EXPECT_TRUE(result->succeeded) << result->message;
    EXPECT_EQ(result->output["attempt"], i + 1);
    EXPECT_EQ(result->log_tail, "attempt " + std::to_string(i + 1) + "\n");
  }
}

TEST_F(LocalRunnerTest, RefusesAnEmptyCommand) {
  LaunchRequest request = shell("");
  request.handler.command.clear();
  RecordingListener listener;
  const auto started = runner_->start(request, listener);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);
}

TEST(LocalRunnerCreate, RequiresAnExistingWorkRoot) {
  LocalRunner::Options options;
  options.work_root = "/nonexistent/pop-work-root";
  const auto runner = LocalRunner::create(options);
  ASSERT_FALSE(runner);
  EXPECT_EQ(runner.error().code, ErrorCode::kUnavailable);
}

#ifdef POP_BINARY
// The built-in sample handler as the runners start it: `pop handler sample`.
TEST_F(LocalRunnerTest, RunsTheSampleHandler) {
  LaunchRequest request = shell("");
  request.handler.command = {POP_BINARY, "handler", "sample"};
  request.payload = Json::parse(R"({
      "actions": [{"action": "log", "paramsMap": {"logMessage": "working",
                                                   "sleepMilliseconds": 100}}],
      "resultPayload": {"done": true}})");
  RecordingListener listener;
  auto run = runner_->start(request, listener);
  ASSERT_TRUE(run) << run.error().message;
  const auto result = listener.wait_finished();
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->succeeded) << result->message << "\n" << result->log_tail;
  EXPECT_EQ(result->output, Json::parse(R"({"done": true})"));
  EXPECT_EQ(result->log_tail, "working\n");
  const auto progress = listener.progress();
  ASSERT_GE(progress.size(), 10u);
  EXPECT_EQ(progress.back().first, 100);
}
#endif

}  // namespace
}  // namespace pop
