// The executor against a scripted runner: ordering, data flow, retries, timeouts,
// failure propagation, cancellation and resume, without processes. The same behaviours are
// checked end to end with real processes in src/cli/run_command_test.cc.
#include "engine/executor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace pop {
namespace {

using namespace std::chrono_literals;

// command[0] of the handler spec selects the behaviour:
//   "succeed"  output = the resolved payload, after ~2 ms
//   "fail"     exits 1 with "boom" in its log
//   "flaky"    fails until attempt == payload.succeedOn
//   "hang"     runs until terminated
//   "slow"     like succeed, after ~100 ms
//   "pending"  like succeed, but only reports running after ~150 ms (a Pod in Pending)
class ScriptedRunner final : public Runner {
 public:
  struct Launch {
    std::string operation;
    int attempt;
    Json payload;
  };

  Result<std::unique_ptr<HandlerRun>> start(const LaunchRequest& request,
                                            RunListener& listener) override {
    const std::string behaviour = request.handler.command.at(0);
    if (behaviour == "unstartable") return fail(ErrorCode::kUnavailable, "no such program");
    {
      std::lock_guard lock(mutex_);
      launches_.push_back({request.operation_name, request.attempt, request.payload});
      max_running_ = std::max(max_running_, ++running_);
    }
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

 private:
  class Run final : public HandlerRun {
   public:
    Run(ScriptedRunner& owner, LaunchRequest request, RunListener& listener, std::string behaviour)
        : owner_(owner), listener_(&listener) {
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
    void body(const LaunchRequest& request, const std::string& behaviour) {
      // A Pod would sit in Pending here: the timeout must not run yet.
      if (behaviour == "pending") {
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, 150ms, [this] { return stop_; });
      }
      {
        std::lock_guard lock(mutex_);
        if (listener_ != nullptr) listener_->on_running();
      }
      HandlerResult result;
      result.launched_at = std::chrono::steady_clock::now();
      std::unique_lock lock(mutex_);
      if (behaviour == "hang") {
        wake_.wait(lock, [this] { return stop_; });
        result.terminated = true;
        result.signal = 15;
        result.message = "killed by signal 15";
      } else {
        wake_.wait_for(lock, behaviour == "slow" ? 100ms : 2ms, [this] { return stop_; });
        const bool ok =
            behaviour == "succeed" || behaviour == "pending" || behaviour == "slow" ||
            (behaviour == "flaky" && request.attempt >= request.payload.value("succeedOn", 1));
        result.succeeded = ok;
        result.exit_code = ok ? 0 : 1;
        result.output = ok ? request.payload : Json();
        result.message = ok ? "" : "exited with status 1";
        result.log_tail = ok ? "" : "boom\n";
      }
      result.observed_end_at = std::chrono::steady_clock::now();
      {
        std::lock_guard owner_lock(owner_.mutex_);
        --owner_.running_;
      }
      if (listener_ != nullptr) listener_->on_finished(std::move(result));
    }

    ScriptedRunner& owner_;
    std::mutex mutex_;
    std::condition_variable wake_;
    RunListener* listener_;
    bool stop_ = false;
    std::thread thread_;
  };

  std::mutex mutex_;
  std::vector<Launch> launches_;
  int running_ = 0;
  int max_running_ = 0;
  int terminations_ = 0;
};

class ExecutorTest : public ::testing::Test {
 protected:
  ExecutorTest() : registry_(HandlerRegistry::builtin("/unused")) {
    auto merged = registry_.merge_json(Json::parse(R"({
      "defaults": {"retryBackoffSeconds": 0.001, "terminationGraceSeconds": 0},
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

  AgendaProgress run(const ValidatedAgenda& agenda, ExecutorOptions options = {}) {
    Executor executor(agenda, registry_, runner_, options);
    return executor.run();
  }

  const OperationProgress& op(const AgendaProgress& progress, const std::string& name) {
    for (const auto& operation : progress.operations)
      if (operation.operation == name) return operation;
    throw std::runtime_error("no operation " + name);
  }

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

TEST_F(ExecutorTest, ConcurrencyLimitIsRespected) {
  std::string operations;
  for (int i = 0; i < 40; ++i)
    operations += std::string(i ? "," : "") + R"({"name": "op)" + std::to_string(i) +
                  R"(", "type": "succeed"})";
  auto agenda = load(R"({"operations": [)" + operations + "]}");
  ExecutorOptions options;
  options.concurrency = 3;
  EXPECT_EQ(run(agenda, options).outcome, AgendaOutcome::kSucceeded);
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
  AgendaProgress result = run(agenda);
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
  // Pending for ~150 ms, then quick: a 100 ms timeout charged from launch would fire.
  auto agenda = load(R"({"operations": [
    {"name": "pod", "type": "pending", "params": {"timeoutSeconds": 0.1}}]})");
  AgendaProgress result = run(agenda);
  EXPECT_EQ(result.outcome, AgendaOutcome::kSucceeded);
  EXPECT_EQ(runner_.terminations(), 0);
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
  const auto before = std::chrono::steady_clock::now();
  AgendaProgress result = run(agenda);
  EXPECT_GE(std::chrono::steady_clock::now() - before, 100ms);
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
  Executor executor(agenda, registry_, runner_, {});
  std::thread canceller([&] {
    while (runner_.running() < 2) std::this_thread::sleep_for(1ms);
    executor.cancel();
  });
  AgendaProgress result = executor.run();
  canceller.join();
  EXPECT_EQ(result.outcome, AgendaOutcome::kCancelled);
  EXPECT_EQ(op(result, "a").state, OperationState::kCancelled);
  EXPECT_EQ(op(result, "b").state, OperationState::kCancelled);
  EXPECT_EQ(op(result, "c").state, OperationState::kPending);
  EXPECT_EQ(runner_.running(), 0);
}

TEST_F(ExecutorTest, CancelBeforeRunStartsNothing) {
  auto agenda = load(R"({"operations": [{"name": "a", "type": "succeed"}]})");
  Executor executor(agenda, registry_, runner_, {});
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

  Executor executor(agenda, registry_, runner_, {});
  ASSERT_TRUE(executor.resume_from(earlier).has_value());
  AgendaProgress result = executor.run();
  EXPECT_EQ(result.outcome, AgendaOutcome::kSucceeded);
  ASSERT_EQ(runner_.launches().size(), 1u);
  EXPECT_EQ(runner_.launches()[0].operation, "second");
  EXPECT_EQ(op(result, "second").result_payload["got"], "remembered");

  AgendaProgress stranger;
  stranger.operations.push_back(first);
  stranger.operations.back().operation = "third";
  Executor other(agenda, registry_, runner_, {});
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

}  // namespace
}  // namespace pop
