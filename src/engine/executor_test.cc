// The executor against a scripted runner: ordering, data flow, retries, timeouts,
// failure propagation, cancellation and resume, without processes. The same behaviours are
// checked end to end with real processes in src/cli/run_command_test.cc.
//
// Time is a ManualClock: it moves only when a test advances it, so the timing tests are
// exact and do not depend on the machine's load. A test that moves time first waits (with a
// generous real bound) until the code it drives waits for the deadline it means to pass.
#include "engine/executor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "util/clock.h"

namespace pop {
namespace {

using namespace std::chrono_literals;

constexpr auto kRealBound = 10s;  // how long a test waits for what it expects to happen

// command[0] of the handler spec selects the behaviour:
//   "succeed"  output = the resolved payload, at once
//   "fail"     exits 1 with "boom" in its log
//   "flaky"    fails until attempt == payload.succeedOn
//   "hang"     runs until terminated
//   "slow"     like succeed, 100 ms (of the clock) after its launch
//   "pending"  reports running only 150 ms after its launch (a Pod in Pending), then
//              succeeds at 200 ms
class ScriptedRunner final : public Runner {
 public:
  struct Launch {
    std::string operation;
    int attempt;
    Json payload;
  };

  explicit ScriptedRunner(const Clock& clock) : clock_(clock) {}

  Result<std::unique_ptr<HandlerRun>> start(const LaunchRequest& request,
                                            RunListener& listener) override {
    const std::string behaviour = request.handler.command.at(0);
    if (behaviour == "unstartable") return fail(ErrorCode::kUnavailable, "no such program");
    {
      std::lock_guard lock(mutex_);
      launches_.push_back({request.operation_name, request.attempt, request.payload});
      max_running_ = std::max(max_running_, ++running_);
    }
    changed_.notify_all();
    return std::make_unique<Run>(*this, request, listener, behaviour);
  }

  std::vector<Launch> launches() {
    std::lock_guard lock(mutex_);
    return launches_;
  }
  int max_running() {
    std::lock_guard lock(mutex_);
    return max_running_;
  }
  int terminations() {
    std::lock_guard lock(mutex_);
    return terminations_;
  }
  int running() {
    std::lock_guard lock(mutex_);
    return running_;
  }
  // Waits (in real time, up to kRealBound) until `count` handlers run at once.
  bool await_running(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kRealBound, [&] { return running_ >= count; });
  }

 private:
  class Run final : public HandlerRun {
   public:
    Run(ScriptedRunner& owner, LaunchRequest request, RunListener& listener, std::string behaviour)
        : owner_(owner), listener_(&listener), launched_at_(owner.clock_.steady_now()) {
      // Running at once, as the local runner reports it: the executor learns it before it
      // waits again, so a test that sees it wait knows the timeout is armed.
      if (behaviour != "pending") listener.on_running();
      thread_ = std::thread(
          [this, request = std::move(request), behaviour] { body(request, behaviour); });
    }
    ~Run() override {
      {
        std::lock_guard lock(mutex_);
        listener_ = nullptr;
        stop_ = true;
      }
      wake_.notify_all();
      thread_.join();
    }
    void terminate(std::chrono::milliseconds) override {
      {
        std::lock_guard lock(mutex_);
        stop_ = true;
      }
      {
        std::lock_guard lock(owner_.mutex_);
        ++owner_.terminations_;
      }
      wake_.notify_all();
    }

   private:
    // Waits until the clock reaches `at` after the launch, or the run is stopped.
    void wait_until(std::unique_lock<std::mutex>& lock, std::chrono::milliseconds at) {
      owner_.clock_.wait_until(wake_, lock, launched_at_ + at, [this] { return stop_; });
    }

    void body(const LaunchRequest& request, const std::string& behaviour) {
      // A Pod would sit in Pending here: the timeout must not run yet.
      if (behaviour == "pending") {
        std::unique_lock lock(mutex_);
        wait_until(lock, 150ms);
        if (listener_ != nullptr) listener_->on_running();
      }
      HandlerResult result;
      result.launched_at = owner_.clock_.steady_now();
      std::unique_lock lock(mutex_);
      if (behaviour == "hang") {
        wake_.wait(lock, [this] { return stop_; });
        result.terminated = true;
        result.signal = 15;
        result.message = "killed by signal 15";
      } else {
        if (behaviour == "slow") wait_until(lock, 100ms);
        if (behaviour == "pending") wait_until(lock, 200ms);
        const bool ok =
            behaviour == "succeed" || behaviour == "pending" || behaviour == "slow" ||
            (behaviour == "flaky" && request.attempt >= request.payload.value("succeedOn", 1));
        result.succeeded = ok;
        result.exit_code = ok ? 0 : 1;
        result.output = ok ? request.payload : Json();
        result.message = ok ? "" : "exited with status 1";
        result.log_tail = ok ? "" : "boom\n";
      }
      result.observed_end_at = owner_.clock_.steady_now();
      {
        std::lock_guard owner_lock(owner_.mutex_);
        --owner_.running_;
      }
      owner_.changed_.notify_all();
      if (listener_ != nullptr) listener_->on_finished(std::move(result));
    }

    ScriptedRunner& owner_;
    std::mutex mutex_;
    std::condition_variable wake_;
    RunListener* listener_;
    const Clock::SteadyTime launched_at_;
    bool stop_ = false;
    std::thread thread_;
  };

  const Clock& clock_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Launch> launches_;
  int running_ = 0;
  int max_running_ = 0;
  int terminations_ = 0;
};

// Runs an executor on a thread of its own, so that the test can move time. A test that
// fails before the run ends cancels it (killing its handlers), so that it ends instead of
// waiting forever for time to move.
class BackgroundRun {
 public:
  explicit BackgroundRun(Executor& executor, ExecutionObserver* observer = nullptr)
      : executor_(executor), result_(std::async(std::launch::async, [&executor, observer] {
          return executor.run(observer);
        })) {}
  ~BackgroundRun() {
    if (result_.valid()) {
      executor_.cancel(true);
      result_.wait();
    }
  }
  BackgroundRun(const BackgroundRun&) = delete;
  BackgroundRun& operator=(const BackgroundRun&) = delete;

  // The final progress; a run that does not end within kRealBound fails the test and is
  // cancelled.
  AgendaProgress get() {
    if (result_.wait_for(kRealBound) != std::future_status::ready) {
      ADD_FAILURE() << "the executor did not end";
      executor_.cancel(true);
    }
    return result_.get();
  }

 private:
  Executor& executor_;
  std::future<AgendaProgress> result_;
};

// Keeps the latest progress the executor published, so a test can wait for a state.
class ProgressWatch final : public ExecutionObserver {
 public:
  void on_change(const AgendaProgress& progress, std::size_t) override {
    {
      std::lock_guard lock(mutex_);
      latest_ = progress;
    }
    changed_.notify_all();
  }
  // Waits (in real time, up to kRealBound) until `holds` is true of the latest progress.
  bool await(const std::function<bool(const AgendaProgress&)>& holds) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kRealBound, [&] { return holds(latest_); });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  AgendaProgress latest_;
};

class ExecutorTest : public ::testing::Test {
 protected:
  // Retries follow at once unless a test asks for a backoff: time stands still otherwise.
  ExecutorTest() : registry_(HandlerRegistry::builtin("/unused")), runner_(clock_) {
    auto merged = registry_.merge_json(Json::parse(R"({
      "defaults": {"retryBackoffSeconds": 0, "terminationGraceSeconds": 0},
      "handlers": {
        "succeed": {"command": ["succeed"]}, "fail": {"command": ["fail"]},
        "flaky": {"command": ["flaky"]}, "hang": {"command": ["hang"]},
        "unstartable": {"command": ["unstartable"]}, "pending": {"command": ["pending"]},
        "slow": {"command": ["slow"]}}})"),
                                       "test");
    EXPECT_TRUE(merged.has_value());
  }

  ValidatedAgenda load(const std::string& text) {
    auto agenda = load_agenda(text, [this](std::string_view type) { return registry_.has(type); });
    EXPECT_TRUE(agenda.has_value())
        << (agenda ? ""
                   : agenda.error().message + " " +
                         (agenda.error().details.empty() ? "" : agenda.error().details[0]));
    agenda->agenda.id = "agenda-1";
    return std::move(*agenda);
  }

  // Waits until some thread waits on the clock for `deadline` (time since the clock's start).
  bool await_deadline(std::chrono::milliseconds deadline) {
    return clock_.await_deadlines(
        [deadline](const std::vector<Clock::SteadyTime>& waited) {
          return std::find(waited.begin(), waited.end(), Clock::SteadyTime(deadline)) !=
                 waited.end();
        },
        kRealBound);
  }

  ExecutorOptions with_clock(ExecutorOptions options = {}) {
    options.clock = &clock_;
    return options;
  }

  // Runs to the end on this thread: for agendas whose handlers need no time to pass.
  AgendaProgress run(const ValidatedAgenda& agenda, ExecutorOptions options = {}) {
    Executor executor(agenda, registry_, runner_, with_clock(options));
    return executor.run();
  }

  const OperationProgress& op(const AgendaProgress& progress, const std::string& name) {
    for (const auto& operation : progress.operations)
      if (operation.operation == name) return operation;
    throw std::runtime_error("no operation " + name);
  }

  ManualClock clock_;
  HandlerRegistry registry_;
  ScriptedRunner runner_;
};

TEST_F(ExecutorTest, DiamondPassesOutputsThroughReferences) {
  auto agenda = load(R"({"operations": [
    {"name": "top", "type": "succeed", "payload": {"n": 1, "who": "@<pop.agendaId>"}},
    {"name": "left", "type": "succeed", "payload": {"from": "@<top.out::/n>"}},
    {"name": "right", "type": "succeed", "payload": {"from": "x-@<top.out::n>"}},
    {"name": "join", "type": "succeed", "payload": {"l": "@<left.out>", "r": "@<right.out::from>"}}]})");
  AgendaProgress result = run(agenda);
  EXPECT_EQ(result.outcome, AgendaOutcome::kSucceeded);
  EXPECT_EQ(result.state, ProcessingState::kComplete);
  EXPECT_EQ(result.percent_complete, 100);
  EXPECT_EQ(op(result, "join").result_payload, Json::parse(R"({"l": {"from": 1}, "r": "x-1"})"));
  EXPECT_EQ(op(result, "top").result_payload["who"], "agenda-1");
  const auto launches = runner_.launches();
  ASSERT_EQ(launches.size(), 4u);
  EXPECT_EQ(launches.front().operation, "top");
  EXPECT_EQ(launches.back().operation, "join");
  for (const auto& operation : result.operations) {
    EXPECT_EQ(operation.attempt_count, 1);
    EXPECT_TRUE(operation.started_time && operation.completed_time);
  }
}

// The resident "noop" handler runs inside the executor: no runner is asked, and a handler
// that runs after it sees its (null) output.
TEST_F(ExecutorTest, ResidentNoopOperationsSucceedWithoutTheRunner) {
  auto agenda = load(R"({"operations": [
    {"name": "a", "type": "noop"}, {"name": "b", "type": "noop"},
    {"name": "c", "type": "succeed", "payload": {"after": "@<a.out>"}}]})");
  AgendaProgress result = run(agenda);
  EXPECT_EQ(result.outcome, AgendaOutcome::kSucceeded);
  EXPECT_EQ(op(result, "a").state, OperationState::kSucceeded);
  EXPECT_EQ(op(result, "b").attempt_count, 1);
  EXPECT_TRUE(op(result, "b").started_time && op(result, "b").completed_time);
  const auto launches = runner_.launches();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches.front().operation, "c");
}

// Handlers end only when time moves, and time moves only once three of them wait: the
// limit is reached in every round and never passed.
TEST_F(ExecutorTest, ConcurrencyLimitIsRespected) {
  std::string operations;
  for (int i = 0; i < 40; ++i)
    operations +=
        std::string(i ? "," : "") + R"({"name": "op)" + std::to_string(i) + R"(", "type": "slow"})";
  auto agenda = load(R"({"operations": [)" + operations + "]}");
  ExecutorOptions options;
  options.concurrency = 3;
  Executor executor(agenda, registry_, runner_, with_clock(options));
  BackgroundRun result(executor);
  // Each round, the handlers launched in it wait for their end, 100 ms later.
  for (int round = 1, left = 40; left > 0; ++round, left -= 3) {
    const Clock::SteadyTime end(round * 100ms);
    ASSERT_TRUE(clock_.await_deadlines(
        [&](const std::vector<Clock::SteadyTime>& waited) {
          return std::count(waited.begin(), waited.end(), end) == std::min(left, 3);
        },
        kRealBound));
    clock_.advance(100ms);
  }
  EXPECT_EQ(result.get().outcome, AgendaOutcome::kSucceeded);
  EXPECT_EQ(runner_.max_running(), 3);
  EXPECT_EQ(runner_.launches().size(), 40u);
}

TEST_F(ExecutorTest, RetriesUntilAnAttemptSucceeds) {
  auto agenda = load(R"({"operations": [
    {"name": "flaky", "type": "flaky", "payload": {"succeedOn": 3}, "params": {"maximumAttempts": 5}}]})");
  AgendaProgress result = run(agenda);
  EXPECT_EQ(result.outcome, AgendaOutcome::kSucceeded);
  EXPECT_EQ(op(result, "flaky").attempt_count, 3);
  ASSERT_EQ(op(result, "flaky").diagnostic_events.size(), 2u);
  EXPECT_EQ(op(result, "flaky").diagnostic_events[0].message,
            "attempt 1 failed: exited with status 1");
  EXPECT_EQ(op(result, "flaky").diagnostic_events[0].log_tail, "boom\n");
}

TEST_F(ExecutorTest, FailureStopsNewWorkAndNamesTheOperation) {
  // "bad" fails for good while "slow" still runs. "slow" finishes, but "after-slow", ready
  // from then on, must not start; "needs-bad" never can.
  auto agenda = load(R"({"operations": [
    {"name": "bad", "type": "fail", "params": {"maximumAttempts": 2}},
    {"name": "slow", "type": "slow"},
    {"name": "after-slow", "type": "succeed", "params": {"dependsOn": "slow"}},
    {"name": "needs-bad", "type": "succeed", "params": {"dependsOn": ["slow", "bad"]}}]})");
  Executor executor(agenda, registry_, runner_, with_clock());
  ProgressWatch watch;
  BackgroundRun running(executor, &watch);
  ASSERT_TRUE(watch.await([](const AgendaProgress& progress) {
    return !progress.operations.empty() && progress.operations[0].state == OperationState::kFailed;
  }));
  clock_.advance(100ms);  // "slow" ends
  AgendaProgress result = running.get();
  EXPECT_EQ(result.outcome, AgendaOutcome::kFailed);
  EXPECT_EQ(op(result, "bad").state, OperationState::kFailed);
  EXPECT_EQ(op(result, "bad").attempt_count, 2);
  EXPECT_EQ(op(result, "slow").state, OperationState::kSucceeded);
  EXPECT_EQ(op(result, "after-slow").state, OperationState::kPending);
  EXPECT_EQ(op(result, "needs-bad").state, OperationState::kPending);
  EXPECT_EQ(runner_.launches().size(), 3u);  // bad twice, slow once
  ASSERT_EQ(result.diagnostic_events.size(), 1u);
  EXPECT_EQ(result.diagnostic_events[0].message,
            "operation \"bad\" failed: attempt 2 failed: exited with status 1");
  EXPECT_EQ(result.diagnostic_events[0].log_tail, "boom\n");
}

TEST_F(ExecutorTest, TimeoutCountsFromRunningNotFromLaunch) {
  // Pending for 150 ms, then running for 50 ms: a 100 ms timeout charged from launch would
  // fire at 100 ms; charged from running, it would fire at 250 ms.
  auto agenda = load(R"({"operations": [
    {"name": "pod", "type": "pending", "params": {"timeoutSeconds": 0.1}}]})");
  Executor executor(agenda, registry_, runner_, with_clock());
  BackgroundRun running(executor);
  // The Pod waits to run until 150 ms; the executor waits for news of it, with no deadline.
  // A timeout charged from launch would have it wait until 100 ms instead.
  ASSERT_TRUE(clock_.await_deadlines(
      [](const std::vector<Clock::SteadyTime>& waited) {
        return waited == std::vector{Clock::SteadyTime(150ms), Clock::SteadyTime::max()};
      },
      kRealBound));
  clock_.advance(150ms);
  // The Pod runs until 200 ms; the executor waits for its timeout, at 250 ms.
  ASSERT_TRUE(await_deadline(200ms));
  ASSERT_TRUE(await_deadline(250ms));
  EXPECT_EQ(runner_.terminations(), 0);
  clock_.advance(50ms);
  AgendaProgress result = running.get();
  EXPECT_EQ(result.outcome, AgendaOutcome::kSucceeded);
  EXPECT_EQ(runner_.terminations(), 0);
}

// The delay before a retry is drawn from [backoff/2, backoff] (engine/backoff.h): no retry
// before half of it has passed, and one once all of it has.
TEST_F(ExecutorTest, RetryWaitsForItsBackoff) {
  auto agenda = load(R"({"operations": [
    {"name": "flaky", "type": "flaky", "payload": {"succeedOn": 2},
     "params": {"maximumAttempts": 2, "retryBackoffSeconds": 10}}]})");
  Executor executor(agenda, registry_, runner_, with_clock());
  BackgroundRun running(executor);
  // The executor waits for the retry, 5 to 10 s away.
  auto retry_pending = [](const std::vector<Clock::SteadyTime>& waited) {
    return std::any_of(waited.begin(), waited.end(), [](Clock::SteadyTime deadline) {
      return deadline >= Clock::SteadyTime(5s) && deadline <= Clock::SteadyTime(10s);
    });
  };
  ASSERT_TRUE(clock_.await_deadlines(retry_pending, kRealBound));
  EXPECT_EQ(runner_.launches().size(), 1u);
  clock_.advance(4999ms);
  ASSERT_TRUE(clock_.await_deadlines(retry_pending, kRealBound));
  EXPECT_EQ(runner_.launches().size(), 1u);
  clock_.advance(5001ms);
  AgendaProgress result = running.get();
  EXPECT_EQ(result.outcome, AgendaOutcome::kSucceeded);
  EXPECT_EQ(op(result, "flaky").attempt_count, 2);
  ASSERT_EQ(runner_.launches().size(), 2u);
  EXPECT_EQ(runner_.launches()[1].attempt, 2);
  // Stamped with the clock's wall time: the second attempt 5 to 10 s after the first.
  const auto between = *op(result, "flaky").attempt_time - *op(result, "flaky").started_time;
  EXPECT_GE(between, 5s);
  EXPECT_LE(between, 10s);
}

TEST_F(ExecutorTest, FailFastTerminatesRunningOperations) {
  auto agenda = load(R"({"operations": [
    {"name": "bad", "type": "fail"}, {"name": "stuck", "type": "hang"}]})");
  ExecutorOptions options;
  options.fail_fast = true;
  AgendaProgress result = run(agenda, options);
  EXPECT_EQ(result.outcome, AgendaOutcome::kFailed);
  EXPECT_EQ(op(result, "stuck").state, OperationState::kCancelled);
  EXPECT_EQ(runner_.terminations(), 1);
  EXPECT_EQ(runner_.running(), 0);
}

TEST_F(ExecutorTest, TimeoutTerminatesAndCountsAsFailedAttempt) {
  auto agenda = load(R"({"operations": [
    {"name": "stuck", "type": "hang", "params": {"timeoutSeconds": 0.05, "maximumAttempts": 2}}]})");
  Executor executor(agenda, registry_, runner_, with_clock());
  BackgroundRun running(executor);
  ASSERT_TRUE(await_deadline(50ms));  // the executor, on the first attempt's timeout
  clock_.advance(49ms);
  ASSERT_TRUE(await_deadline(50ms));  // ... still
  EXPECT_EQ(runner_.terminations(), 0);
  clock_.advance(1ms);
  // Terminated; the retry follows at once and waits on a timeout of its own from 50 ms.
  ASSERT_TRUE(await_deadline(100ms));
  EXPECT_EQ(runner_.terminations(), 1);
  EXPECT_EQ(runner_.launches().size(), 2u);
  clock_.advance(49ms);
  ASSERT_TRUE(await_deadline(100ms));
  EXPECT_EQ(runner_.terminations(), 1);
  clock_.advance(1ms);
  AgendaProgress result = running.get();
  EXPECT_EQ(result.outcome, AgendaOutcome::kFailed);
  EXPECT_EQ(op(result, "stuck").attempt_count, 2);
  EXPECT_EQ(op(result, "stuck").diagnostic_events.back().message,
            "attempt 2 failed: timed out after 0.05s");
  EXPECT_EQ(runner_.terminations(), 2);
}

TEST_F(ExecutorTest, CancelStopsRunningAndReportsCancelled) {
  auto agenda = load(R"({"operations": [
    {"name": "a", "type": "hang"}, {"name": "b", "type": "hang"},
    {"name": "c", "type": "succeed", "params": {"dependsOn": "a"}}]})");
  Executor executor(agenda, registry_, runner_, with_clock());
  BackgroundRun running(executor);
  ASSERT_TRUE(runner_.await_running(2));
  executor.cancel();
  AgendaProgress result = running.get();
  EXPECT_EQ(result.outcome, AgendaOutcome::kCancelled);
  EXPECT_EQ(op(result, "a").state, OperationState::kCancelled);
  EXPECT_EQ(op(result, "b").state, OperationState::kCancelled);
  EXPECT_EQ(op(result, "c").state, OperationState::kPending);
  EXPECT_EQ(runner_.running(), 0);
}

TEST_F(ExecutorTest, CancelBeforeRunStartsNothing) {
  auto agenda = load(R"({"operations": [{"name": "a", "type": "succeed"}]})");
  Executor executor(agenda, registry_, runner_, with_clock());
  executor.cancel();
  EXPECT_EQ(executor.run().outcome, AgendaOutcome::kCancelled);
  EXPECT_TRUE(runner_.launches().empty());
}

TEST_F(ExecutorTest, UnresolvableReferenceFailsWithoutStarting) {
  auto agenda = load(R"({"operations": [
    {"name": "a", "type": "succeed", "payload": {"x": 1}},
    {"name": "b", "type": "succeed", "payload": {"y": "@<a.out::/missing>"}}]})");
  AgendaProgress result = run(agenda);
  EXPECT_EQ(result.outcome, AgendaOutcome::kFailed);
  EXPECT_EQ(op(result, "b").attempt_count, 0);
  EXPECT_EQ(runner_.launches().size(), 1u);
  ASSERT_FALSE(op(result, "b").diagnostic_events.empty());
  EXPECT_NE(op(result, "b").diagnostic_events[0].message.find("cannot resolve payload"),
            std::string::npos);
}

TEST_F(ExecutorTest, StartFailureIsARetryableAttempt) {
  auto agenda = load(R"({"operations": [
    {"name": "a", "type": "unstartable", "params": {"maximumAttempts": 3}}]})");
  AgendaProgress result = run(agenda);
  EXPECT_EQ(result.outcome, AgendaOutcome::kFailed);
  EXPECT_EQ(op(result, "a").attempt_count, 3);
  EXPECT_EQ(op(result, "a").diagnostic_events.back().message,
            "attempt 3 failed: cannot start handler: no such program");
}

TEST_F(ExecutorTest, ResumeKeepsSucceededOutputsAndRunsTheRest) {
  auto agenda = load(R"({"operations": [
    {"name": "first", "type": "succeed", "payload": {"v": "fresh"}},
    {"name": "second", "type": "succeed", "payload": {"got": "@<first.out::v>"}}]})");
  AgendaProgress earlier;
  OperationProgress first;
  first.operation = "FIRST";  // names match case-insensitively
  first.state = OperationState::kSucceeded;
  first.result_payload = Json{{"v", "remembered"}};
  first.attempt_count = 1;
  OperationProgress second;
  second.operation = "second";
  second.state = OperationState::kFailed;
  earlier.operations = {first, second};

  Executor executor(agenda, registry_, runner_, with_clock());
  ASSERT_TRUE(executor.resume_from(earlier).has_value());
  AgendaProgress result = executor.run();
  EXPECT_EQ(result.outcome, AgendaOutcome::kSucceeded);
  ASSERT_EQ(runner_.launches().size(), 1u);
  EXPECT_EQ(runner_.launches()[0].operation, "second");
  EXPECT_EQ(op(result, "second").result_payload["got"], "remembered");

  AgendaProgress stranger;
  stranger.operations.push_back(first);
  stranger.operations.back().operation = "third";
  Executor other(agenda, registry_, runner_, with_clock());
  auto refused = other.resume_from(stranger);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message,
            "progress names operation \"third\", which the agenda does not have");
}

// A fan-in that would resolve past the payload limit fails that operation before its handler
// starts, naming the token and the limit; the agenda fails naming the operation.
TEST_F(ExecutorTest, APayloadResolvedPastItsLimitFailsTheOperation) {
  std::string fan_in;
  for (int i = 0; i < 100; ++i) fan_in += std::string(i ? "," : "") + "\"@<a.out>\"";
  auto agenda = load(R"({"operations": [
    {"name": "a", "type": "succeed", "payload": ")" +
                     std::string(500, 'a') + R"("},
    {"name": "b", "type": "succeed", "payload": {"x": [)" +
                     fan_in + "]}}]}");
  ExecutorOptions options;
  options.limits.payload = {4000, 1000};
  AgendaProgress result = run(agenda, options);
  EXPECT_EQ(result.outcome, AgendaOutcome::kFailed);
  EXPECT_EQ(op(result, "b").state, OperationState::kFailed);
  EXPECT_EQ(op(result, "b").attempt_count, 0);
  EXPECT_EQ(runner_.launches().size(), 1u);
  ASSERT_EQ(op(result, "b").diagnostic_events.size(), 1u);
  EXPECT_EQ(op(result, "b").diagnostic_events[0].message,
            "cannot resolve payload: at /x/5: reference \"@<a.out>\": the result would pass the "
            "limit of 4000 bytes (serialised)");
  ASSERT_FALSE(result.diagnostic_events.empty());
  EXPECT_EQ(result.diagnostic_events.back().message.rfind("operation \"b\" failed: ", 0), 0u);
}

// Outputs are kept within their limits: one too large fails its attempt (and is retried like
// any failure); the agenda's outputs together stop at theirs, so its progress stays bounded,
// and an output refused for that total fails its operation without a retry: the outputs kept
// already stay, so every further attempt would be refused the same way.
TEST_F(ExecutorTest, OutputsPastTheirLimitsFailTheirAttempts) {
  auto agenda = load(R"({"operations": [
    {"name": "big", "type": "succeed", "payload": ")" +
                     std::string(300, 'b') + R"("},
    {"name": "first", "type": "succeed", "payload": ")" +
                     std::string(150, 'f') + R"(",
     "params": {"dependsOn": "big"}},
    {"name": "second", "type": "succeed", "payload": ")" +
                     std::string(150, 's') + R"(",
     "params": {"dependsOn": "first", "maximumAttempts": 2}}]})");
  ExecutorOptions options;
  options.limits.output = {200, 100};
  options.limits.outputs = {250, 100};
  AgendaProgress result = run(agenda, options);
  EXPECT_EQ(result.outcome, AgendaOutcome::kFailed);
  ASSERT_FALSE(op(result, "big").diagnostic_events.empty());
  const std::string refusal = op(result, "big").diagnostic_events.back().message;
  EXPECT_TRUE(
      refusal.ends_with(" failed: the output is 302 bytes (serialised), over the limit "
                        "of 200 bytes for one output"))
      << refusal;
  EXPECT_TRUE(op(result, "big").result_payload.is_null());

  auto fits = load(R"({"operations": [
    {"name": "first", "type": "succeed", "payload": ")" +
                   std::string(150, 'f') + R"("},
    {"name": "second", "type": "succeed", "payload": ")" +
                   std::string(150, 's') + R"(",
     "params": {"dependsOn": "first", "maximumAttempts": 2}}]})");
  result = run(fits, options);
  EXPECT_EQ(result.outcome, AgendaOutcome::kFailed);
  EXPECT_EQ(op(result, "first").state, OperationState::kSucceeded);
  EXPECT_EQ(op(result, "second").state, OperationState::kFailed);
  EXPECT_EQ(op(result, "second").attempt_count, 1);
  ASSERT_FALSE(op(result, "second").diagnostic_events.empty());
  EXPECT_EQ(op(result, "second").diagnostic_events.back().message,
            "attempt 1 failed: the output (152 bytes) would take the agenda's outputs past the "
            "limit of 250 bytes (serialised) for all outputs of an agenda (not retried: the "
            "outputs kept already stay)");
}

// Each attempt ends once for observers (metrics, traces), as the executor judged it: one that
// never started is a failed attempt too, and an output over its budget fails the attempt
// that produced it.
TEST_F(ExecutorTest, ObserversHearEveryAttemptEndAsTheExecutorJudgedIt) {
  struct Ends final : ExecutionObserver {
    void on_change(const AgendaProgress&, std::size_t) override {}
    void on_attempt_ended(const AttemptRecord& attempt) override { ends.push_back(attempt); }
    std::vector<AttemptRecord> ends;
  };
  // One agenda each: in one agenda, the first operation to fail would end it before the
  // other's retry.
  const auto ends_of = [&](const std::string& agenda_text) {
    Ends observer;
    ExecutorOptions options;
    options.limits.output = {200, 100};
    const auto agenda = load(agenda_text);  // the executor borrows it
    Executor executor(agenda, registry_, runner_, with_clock(options));
    EXPECT_EQ(executor.run(&observer).outcome, AgendaOutcome::kFailed);
    std::vector<AttemptEnd> seen;
    for (const AttemptRecord& end : observer.ends) seen.push_back(end.end);
    return seen;
  };
  EXPECT_EQ(ends_of(R"({"operations": [{"name": "unstartable", "type": "unstartable",
                                        "params": {"maximumAttempts": 2}}]})"),
            (std::vector<AttemptEnd>{AttemptEnd::kFailed, AttemptEnd::kFailed}));
  EXPECT_EQ(ends_of(R"({"operations": [{"name": "big", "type": "succeed", "payload": ")" +
                    std::string(300, 'b') + R"("}]})"),
            (std::vector<AttemptEnd>{AttemptEnd::kFailed}));
}

}  // namespace
}  // namespace pop
