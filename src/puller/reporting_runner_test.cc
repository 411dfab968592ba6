// The reporting runner between an executor's listener and a scripted inner runner, with a
// work source that answers as the server would.
#include "puller/reporting_runner.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "model/report_token.h"
#include "puller/stub_work_source.h"
#include "testing/subprocess.h"
#include "util/temp_dir.h"

namespace pop::puller {
namespace {

using namespace std::chrono_literals;

const std::string kSecret(32, 'k');

// Starts nothing: records each request and hands back the listener to drive.
class ScriptedRunner final : public Runner {
 public:
  struct Started {
    LaunchRequest request;
    RunListener* listener;
  };
  class Run final : public HandlerRun {
   public:
    void terminate(std::chrono::milliseconds) override {}
  };

  Result<std::unique_ptr<HandlerRun>> start(const LaunchRequest& request,
                                            RunListener& listener) override {
    if (refuse) return fail(ErrorCode::kUnavailable, "no such command");
    started.push_back({request, &listener});
    return std::unique_ptr<HandlerRun>(std::make_unique<Run>());
  }

  Result<std::optional<std::size_t>> active_handlers(const std::string& insight_id) override {
    if (refuse) return fail(ErrorCode::kUnavailable, "engine away");
    auto it = active.find(insight_id);
    return it == active.end() ? std::nullopt : std::optional<std::size_t>(it->second);
  }

  bool refuse = false;
  std::vector<Started> started;
  std::map<std::string, std::size_t> active;  // what active_handlers() answers
};

// Answers reads of reported progress and outputs from what the test put in it.
class ScriptedSource final : public StubWorkSource {
 public:
  Result<ReportedProgress> reported_progress(const std::string&, std::uint64_t,
                                             std::uint64_t after) override {
    std::lock_guard lock(mutex);
    progress_afters.push_back(after);
    return progress;
  }

  Result<std::optional<Json>> reported_output(const std::string& agenda_id, std::uint64_t epoch,
                                              const std::string& operation, int attempt) override {
    std::unique_lock lock(mutex);
    ++output_reads;
    asked = {agenda_id, epoch, operation, attempt};
    changed.notify_all();
    changed.wait(lock, [&] { return !hold_outputs; });
    if (failures_left > 0) {
      --failures_left;
      return fail(failure, "server away");
    }
    auto it = outputs.find({operation, attempt});
    if (it == outputs.end()) return std::optional<Json>();
    return std::optional<Json>(it->second);
  }

  // Keeps each attempt's log as the server would: a chunk lands where the copy ends.
  Result<LogChunkAnswer> append_log(const std::string&, std::uint64_t, const std::string&,
                                    const LogChunk& chunk) override {
    std::lock_guard lock(mutex);
    std::string& log = logs[{chunk.operation, chunk.attempt}];
    if (chunk.offset == log.size()) log += chunk.bytes;
    if (chunk.ended && on_log_ended) on_log_ended();
    return LogChunkAnswer{log.size(), false};
  }

  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::pair<std::string, int>, std::string> logs;
  std::function<void()> on_log_ended;
  ReportedProgress progress;
  std::vector<std::uint64_t> progress_afters;
  std::map<std::pair<std::string, int>, Json> outputs;
  int output_reads = 0;
  ReportClaims asked;
  int failures_left = 0;
  ErrorCode failure = ErrorCode::kUnavailable;
  bool hold_outputs = false;
};

// The executor's side: what reached it.
class RecordingListener final : public RunListener {
 public:
  void on_running() override {}
  void on_progress(double percent, const std::string& message) override {
    std::lock_guard lock(mutex);
    progress.emplace_back(percent, message);
  }
  void on_finished(HandlerResult result) override {
    std::lock_guard lock(mutex);
    finished.push_back(std::move(result));
  }
  std::size_t finished_count() {
    std::lock_guard lock(mutex);
    return finished.size();
  }

  std::mutex mutex;
  std::vector<std::pair<double, std::string>> progress;
  std::vector<HandlerResult> finished;
};

class ReportingRunnerTest : public ::testing::Test {
 protected:
  ReportingRunnerTest()
      : runner_(inner_, source_,
                ReportLease{"agenda-1", 3, report_lease_key(kSecret, "agenda-1", 3),
                            "http://pop:8080/v1/reports"},
                1ms) {}

  std::unique_ptr<HandlerRun> start(const std::string& operation, int attempt,
                                    RunListener& listener) {
    LaunchRequest request;
    request.agenda_id = "agenda-1";
    request.operation_name = operation;
    request.attempt = attempt;
    auto run = runner_.start(request, listener);
    EXPECT_TRUE(run.has_value());
    return run ? std::move(*run) : nullptr;
  }

  static HandlerResult succeeded(Json output = Json()) {
    HandlerResult result;
    result.succeeded = true;
    result.exit_code = 0;
    result.output = std::move(output);
    return result;
  }

  ScriptedRunner inner_;
  ScriptedSource source_;
  ReportingRunner runner_;
  RecordingListener listener_;
};

TEST_F(ReportingRunnerTest, AnAttemptsResultIsPassedOnOnlyOnceItsWholeLogIsShipped) {
  auto directory = TempDir::create("pop-reporting-test-");
  ASSERT_TRUE(directory.has_value());
  ReportingRunner runner(inner_, source_,
                         ReportLease{"agenda-1", 3, "key", "http://pop:8080/v1/reports"}, 1ms,
                         std::make_unique<AttemptLogShipper>(
                             source_, LogLease{"agenda-1", 3, "key"}, directory->path(), "1-"));
  std::size_t finished_at_log_end = 1;
  source_.on_log_ended = [&] { finished_at_log_end = listener_.finished_count(); };
  LaunchRequest request;
  request.operation_name = "encode";
  request.attempt = 1;
  auto run = runner.start(request, listener_);
  ASSERT_TRUE(run.has_value());
  const std::filesystem::path path = inner_.started[0].request.log_path;
  ASSERT_FALSE(path.empty());
  std::ofstream(path) << "while running\n";
  runner.ship_logs();
  EXPECT_EQ((source_.logs[{"encode", 1}]), "while running\n");
  std::ofstream(path, std::ios::app) << "last words\n";
  HandlerResult failed;
  failed.exit_code = 1;
  inner_.started[0].listener->on_finished(failed);
  ASSERT_TRUE(pop::testing::eventually([&] { return listener_.finished_count() == 1; }));
  EXPECT_EQ((source_.logs[{"encode", 1}]), "while running\nlast words\n");
  EXPECT_EQ(finished_at_log_end, 0u);
  EXPECT_FALSE(listener_.finished[0].succeeded);
  run->reset();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(ReportingRunnerTest, EachAttemptGetsTheUrlAndATokenForItselfAlone) {
  auto first = start("encode", 1, listener_);
  auto second = start("encode", 2, listener_);
  ASSERT_EQ(inner_.started.size(), 2u);
  for (int attempt = 1; attempt <= 2; ++attempt) {
    const LaunchRequest& request = inner_.started[attempt - 1].request;
    EXPECT_EQ(request.report_url, "http://pop:8080/v1/reports");
    EXPECT_EQ(verify_report_token(kSecret, request.report_token),
              (ReportClaims{"agenda-1", 3, "encode", attempt}));
  }
  EXPECT_NE(inner_.started[0].request.report_token, inner_.started[1].request.report_token);
}

TEST_F(ReportingRunnerTest, TakesTheReportedOutputWhenTheHandlerWroteNone) {
  source_.outputs[{"encode", 1}] = Json{{"frames", 1200}};
  auto run = start("encode", 1, listener_);
  inner_.started[0].listener->on_finished(succeeded());
  ASSERT_TRUE(pop::testing::eventually([&] { return listener_.finished_count() == 1; }));
  EXPECT_TRUE(listener_.finished[0].succeeded);
  EXPECT_EQ(listener_.finished[0].output, Json({{"frames", 1200}}));
  EXPECT_EQ(source_.asked, (ReportClaims{"agenda-1", 3, "encode", 1}));
}

TEST_F(ReportingRunnerTest, NothingReportedMeansANullOutput) {
  auto run = start("encode", 1, listener_);
  inner_.started[0].listener->on_finished(succeeded());
  ASSERT_TRUE(pop::testing::eventually([&] { return listener_.finished_count() == 1; }));
  EXPECT_TRUE(listener_.finished[0].succeeded);
  EXPECT_TRUE(listener_.finished[0].output.is_null());
  EXPECT_EQ(source_.output_reads, 1);
}

TEST_F(ReportingRunnerTest, AnOutputFileOrAFailureIsPassedOnWithoutAsking) {
  source_.outputs[{"encode", 1}] = "reported";
  source_.outputs[{"encode", 2}] = "reported";
  RecordingListener second;
  auto run = start("encode", 1, listener_);
  auto failing = start("encode", 2, second);
  inner_.started[0].listener->on_finished(succeeded("from the file"));
  HandlerResult failed;
  failed.exit_code = 1;
  failed.message = "exit code 1";
  inner_.started[1].listener->on_finished(failed);
  // Passed on synchronously, before the calls above returned.
  ASSERT_EQ(listener_.finished_count(), 1u);
  EXPECT_EQ(listener_.finished[0].output, "from the file");
  ASSERT_EQ(second.finished_count(), 1u);
  EXPECT_FALSE(second.finished[0].succeeded);
  EXPECT_EQ(source_.output_reads, 0);
}

TEST_F(ReportingRunnerTest, RetriesWhileTheServerIsAwayThenTakesTheOutput) {
  source_.outputs[{"encode", 1}] = 42;
  source_.failures_left = 2;
  auto run = start("encode", 1, listener_);
  inner_.started[0].listener->on_finished(succeeded());
  ASSERT_TRUE(pop::testing::eventually([&] { return listener_.finished_count() == 1; }));
  EXPECT_TRUE(listener_.finished[0].succeeded);
  EXPECT_EQ(listener_.finished[0].output, 42);
  EXPECT_EQ(source_.output_reads, 3);
}

TEST_F(ReportingRunnerTest, AnOutputThatCannotBeReadFailsTheAttempt) {
  source_.failures_left = 1000;
  auto run = start("encode", 1, listener_);
  inner_.started[0].listener->on_finished(succeeded());
  ASSERT_TRUE(pop::testing::eventually([&] { return listener_.finished_count() == 1; }));
  EXPECT_FALSE(listener_.finished[0].succeeded);
  EXPECT_NE(listener_.finished[0].message.find("wrote no POP_OUTPUT_FILE"), std::string::npos)
      << listener_.finished[0].message;
  EXPECT_EQ(source_.output_reads, 5);  // a few rounds, not forever

  // A lost lease is not worth a second try.
  RecordingListener second;
  source_.failures_left = 1000;
  source_.failure = ErrorCode::kConflict;
  auto fenced = start("encode", 2, second);
  inner_.started[1].listener->on_finished(succeeded());
  ASSERT_TRUE(pop::testing::eventually([&] { return second.finished_count() == 1; }));
  EXPECT_FALSE(second.finished[0].succeeded);
  EXPECT_EQ(source_.output_reads, 6);
}

TEST_F(ReportingRunnerTest, ReportedProgressReachesTheRunningAttemptMergedWithItsOwn) {
  RecordingListener other;
  auto encode = start("encode", 1, listener_);
  auto upload = start("upload", 1, other);
  source_.progress = {{{"encode", 1, 40.0, "half"},
                       {"upload", 1, 10.0, std::nullopt},
                       {"encode", 0, 99.0, "an attempt that does not run"},
                       {"unknown", 1, 99.0, "nobody"}},
                      17};
  ASSERT_TRUE(runner_.poll().has_value());
  ASSERT_EQ(listener_.progress.size(), 1u);
  EXPECT_EQ(listener_.progress[0], std::make_pair(40.0, std::string("half")));
  ASSERT_EQ(other.progress.size(), 1u);
  EXPECT_EQ(other.progress[0], std::make_pair(10.0, std::string()));

  // Progress from POP_PROGRESS_FD and from the API are one stream: each field is the latest.
  inner_.started[0].listener->on_progress(50, "from the fd");
  source_.progress = {{{"encode", 1, std::nullopt, "from the api"}}, 18};
  ASSERT_TRUE(runner_.poll().has_value());
  ASSERT_EQ(listener_.progress.size(), 3u);
  EXPECT_EQ(listener_.progress[1], std::make_pair(50.0, std::string("from the fd")));
  EXPECT_EQ(listener_.progress[2], std::make_pair(50.0, std::string("from the api")));
  EXPECT_EQ(source_.progress_afters, (std::vector<std::uint64_t>{0, 17}));
}

TEST_F(ReportingRunnerTest, PollAsksNothingWhileNoAttemptRuns) {
  ASSERT_TRUE(runner_.poll().has_value());
  auto run = start("encode", 1, listener_);
  inner_.started[0].listener->on_finished(succeeded("done"));
  source_.progress = {{{"encode", 1, 70.0, "late"}}, 5};
  ASSERT_TRUE(runner_.poll().has_value());
  EXPECT_TRUE(source_.progress_afters.empty());
  EXPECT_TRUE(listener_.progress.empty());
}

TEST_F(ReportingRunnerTest, AFailedStartLeavesNothingRegistered) {
  inner_.refuse = true;
  LaunchRequest request;
  request.operation_name = "encode";
  auto run = runner_.start(request, listener_);
  ASSERT_FALSE(run.has_value());
  EXPECT_EQ(run.error().code, ErrorCode::kUnavailable);
  ASSERT_TRUE(runner_.poll().has_value());
  EXPECT_TRUE(source_.progress_afters.empty());
}

TEST_F(ReportingRunnerTest, CountsActiveHandlersAsTheInnerRunnerDoes) {
  inner_.active["encode"] = 3;
  auto known = runner_.active_handlers("encode");
  ASSERT_TRUE(known.has_value());
  EXPECT_EQ(*known, std::optional<std::size_t>(3));
  auto unknown = runner_.active_handlers("publish");
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(*unknown, std::nullopt);
  inner_.refuse = true;
  auto failed = runner_.active_handlers("encode");
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().message, "engine away");
}

TEST_F(ReportingRunnerTest, NoListenerIsCalledOnceTheRunIsGone) {
  source_.outputs[{"encode", 1}] = "reported";
  source_.hold_outputs = true;
  auto run = start("encode", 1, listener_);
  inner_.started[0].listener->on_finished(succeeded());
  {
    // The fetch is under way, blocked in the source.
    std::unique_lock lock(source_.mutex);
    ASSERT_TRUE(source_.changed.wait_for(lock, 10s, [&] { return source_.output_reads == 1; }));
  }
  run.reset();
  {
    std::lock_guard lock(source_.mutex);
    source_.hold_outputs = false;
  }
  source_.changed.notify_all();
  // A second attempt's fetch queues behind the first: once it is answered, the first fetch
  // has ended and would have called its listener by now.
  RecordingListener second;
  auto next = start("encode", 2, second);
  inner_.started[1].listener->on_finished(succeeded());
  ASSERT_TRUE(pop::testing::eventually([&] { return second.finished_count() == 1; }));
  EXPECT_EQ(listener_.finished_count(), 0u);
}

}  // namespace
}  // namespace pop::puller
