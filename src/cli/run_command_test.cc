// End to end: the real `pop` binary running agendas whose handlers are real processes.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "testing/subprocess.h"
#include "util/temp_dir.h"

namespace pop::cli {
using Json = nlohmann::json;

namespace {

using pop::testing::eventually;
using pop::testing::process_gone;
using pop::testing::ProcessResult;
namespace fs = std::filesystem;

class PopRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("pop-run-test-");
    ASSERT_TRUE(dir.has_value());
    dir_.emplace(std::move(*dir));
    tmp_ = dir_->path() / "tmp";  // pop's TMPDIR: must be empty again after every run
    fs::create_directories(tmp_);
    write("handlers.json", R"({"handlers": {"true": {"command": ["/bin/true"]}}})");
  }

  fs::path path(const std::string& name) const { return dir_->path() / name; }

  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name)) << text;
  }

  std::string read(const std::string& name) const { return pop::testing::read_file(path(name)); }

  std::vector<std::string> pop_run(const std::string& agenda,
                                   std::vector<std::string> extra = {}) const {
    std::vector<std::string> argv = {POP_BINARY, "run", agenda, "--handlers",
                                     path("handlers.json").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  ProcessResult run_json(const std::string& agenda_json, std::vector<std::string> extra = {}) {
    write("agenda.json", agenda_json);
    extra.insert(extra.begin(), {"--output", "json"});
    return pop::testing::run_process(pop_run(path("agenda.json").string(), extra), env(),
                                     dir_->path().string());
  }

  std::map<std::string, std::string> env() const {
    return {{"TMPDIR", tmp_.string()}, {"DIR", dir_->path().string()}};
  }

  static const Json& op(const Json& progress, const std::string& name) {
    for (const auto& operation : progress["operationProgress"])
      if (operation["operation"] == name) return operation;
    throw std::runtime_error("no operation " + name);
  }

  void expect_no_leftovers() const {
    EXPECT_TRUE(fs::is_empty(tmp_)) << "pop left temporary files behind";
  }

  std::optional<TempDir> dir_;
  fs::path tmp_;
};

TEST_F(PopRunTest, DiamondPassesDataThroughReferences) {
  // "double" is a shell handler: reads its payload from POP_PAYLOAD, writes its output.
  write("handlers.json", R"({"handlers": {"double": {"command": ["/bin/sh", "-c",
      "n=$(printf '%s' \"$POP_PAYLOAD\" | sed 's/[^0-9]//g'); echo \"{\\\"value\\\": $((n * 2))}\" > \"$POP_OUTPUT_FILE\""]}}})");
  ProcessResult result = run_json(R"({"id": "diamond-1", "operations": [
    {"name": "source", "type": "sample", "payload": {"resultPayload": {"n": 21, "path": "/media/x.mp4"}}},
    {"name": "double", "type": "double", "payload": {"n": "@<source.out::/n>"}},
    {"name": "describe", "type": "sample",
     "payload": {"resultPayload": {"text": "@<source.out::path> in @<pop.agendaId>"}}},
    {"name": "join", "type": "sample",
     "payload": {"resultPayload": {"double": "@<double.out>", "text": "@<describe.out::text>",
                                   "me": "@<pop.operationName>"}}}]})");
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const Json progress = Json::parse(result.out);
  EXPECT_EQ(progress["processingState"], "COMPLETE");
  EXPECT_EQ(progress["processingStateMessage"], "succeeded");
  EXPECT_EQ(progress["percentComplete"], 100);
  EXPECT_EQ(op(progress, "join")["resultPayload"],
            Json::parse(
                R"({"double": {"value": 42}, "text": "/media/x.mp4 in diamond-1", "me": "join"})"));
  expect_no_leftovers();
}

TEST_F(PopRunTest, IndependentOperationsOverlapInTime) {
  ProcessResult result = run_json(R"({"operations": [
    {"name": "a", "type": "sample", "payload": {"actions": [{"action": "log", "paramsMap": {"logMessage": "a", "sleepMilliseconds": 800}}]}},
    {"name": "b", "type": "sample", "payload": {"actions": [{"action": "log", "paramsMap": {"logMessage": "b", "sleepMilliseconds": 800}}]}}]})",
                                  {"--trace", path("trace.json").string()});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const Json trace = Json::parse(read("trace.json"))["traceEvents"];
  ASSERT_EQ(trace.size(), 2u);
  const long a_start = trace[0]["ts"], a_end = a_start + trace[0]["dur"].get<long>();
  const long b_start = trace[1]["ts"], b_end = b_start + trace[1]["dur"].get<long>();
  EXPECT_LT(std::max(a_start, b_start), std::min(a_end, b_end))
      << "attempt intervals do not overlap";
}

TEST_F(PopRunTest, TimeoutKillsTheWholeProcessTree) {
  // The handler ignores SIGTERM (so KILL after the grace period is needed) and leaves a
  // grandchild in the background.
  write(
      "handlers.json",
      R"({"defaults": {"terminationGraceSeconds": 0.3}, "handlers": {"stuck": {"command": ["/bin/sh", "-c",
      "trap '' TERM; sleep 300 & echo $! > \"$DIR/grandchild.pid\"; echo $$ > \"$DIR/child.pid\"; while :; do sleep 1; done"]}}})");
  ProcessResult result = run_json(
      R"({"operations": [{"name": "stuck", "type": "stuck", "params": {"timeoutSeconds": 0.5}}]})");
  EXPECT_EQ(result.exit_status, 1) << result.err;
  const Json progress = Json::parse(result.out);
  EXPECT_EQ(op(progress, "stuck")["diagnosticEvents"][0]["message"],
            "attempt 1 failed: timed out after 0.5s");
  const pid_t child = std::stoi(read("child.pid"));
  const pid_t grandchild = std::stoi(read("grandchild.pid"));
  EXPECT_TRUE(process_gone(child));
  EXPECT_TRUE(eventually([&] { return process_gone(grandchild); }))
      << "grandchild " << grandchild << " survived";
  expect_no_leftovers();
}

TEST_F(PopRunTest, RetriesSucceedOnALaterAttempt) {
  write(
      "handlers.json",
      R"({"defaults": {"retryBackoffSeconds": 0.01}, "handlers": {"flaky": {"command": ["/bin/sh", "-c",
      "echo \"attempt $POP_ATTEMPT\"; if [ \"$POP_ATTEMPT\" -lt 3 ]; then exit 7; fi; echo \"{\\\"attempt\\\": $POP_ATTEMPT}\" > \"$POP_OUTPUT_FILE\""]}}})");
  ProcessResult result = run_json(
      R"({"operations": [{"name": "flaky", "type": "flaky", "params": {"maximumAttempts": 4}}]})");
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const Json progress = Json::parse(result.out);
  const Json& flaky = op(progress, "flaky");
  EXPECT_EQ(flaky["attemptCount"], 3);
  EXPECT_EQ(flaky["resultPayload"], Json::parse(R"({"attempt": 3})"));
  ASSERT_EQ(flaky["diagnosticEvents"].size(), 2u);
  EXPECT_EQ(flaky["diagnosticEvents"][1]["message"], "attempt 2 failed: exited with status 7");
  EXPECT_EQ(flaky["diagnosticEvents"][1]["logTail"], "attempt 2\n");
}

TEST_F(PopRunTest, FailurePropagatesWithTheLogTail) {
  ProcessResult result = run_json(R"({"operations": [
    {"name": "bad", "type": "sample", "payload": {"actions": [
      {"action": "log", "paramsMap": {"logMessage": "about to fail"}},
      {"action": "exception", "paramsMap": {"message": "disk on fire"}}]}},
    {"name": "needs-bad", "type": "sample", "params": {"dependsOn": "bad"}},
    {"name": "independent", "type": "sample", "payload": {"actions": [{"action": "log", "paramsMap": {"logMessage": "x", "sleepMilliseconds": 300}}]}}]})");
  EXPECT_EQ(result.exit_status, 1) << result.err;
  const Json progress = Json::parse(result.out);
  EXPECT_EQ(progress["processingStateMessage"], "failed");
  EXPECT_EQ(op(progress, "bad")["processingStateMessage"], "failed");
  EXPECT_EQ(op(progress, "needs-bad")["processingStateMessage"], "pending");
  EXPECT_EQ(op(progress, "independent")["processingStateMessage"], "succeeded");
  const Json& diagnostic = progress["diagnosticEvents"][0];
  EXPECT_EQ(diagnostic["message"],
            "operation \"bad\" failed: attempt 1 failed: exited with status 1");
  EXPECT_NE(diagnostic["logTail"].get<std::string>().find("about to fail"), std::string::npos);
  EXPECT_NE(diagnostic["logTail"].get<std::string>().find("disk on fire"), std::string::npos);
  expect_no_leftovers();
}

TEST_F(PopRunTest, SigintCancelsAndLeavesNoHandlerProcess) {
  write(
      "handlers.json",
      R"({"defaults": {"terminationGraceSeconds": 2}, "handlers": {"slow": {"command": ["/bin/sh", "-c",
      "echo $$ > \"$DIR/$POP_OPERATION_NAME.pid\"; sleep 300 & wait"]}}})");
  write("agenda.json",
        R"({"operations": [{"name": "one", "type": "slow"}, {"name": "two", "type": "slow"},
    {"name": "three", "type": "slow", "params": {"dependsOn": "one"}}]})");
  pop::testing::Subprocess pop(pop_run(path("agenda.json").string(), {"--output", "json"}), env(),
                               dir_->path().string());
  // The shell creates each file before it writes the pid into it: wait for the whole line.
  auto written = [&](const std::string& name) {
    return fs::exists(path(name)) && read(name).ends_with('\n');
  };
  ASSERT_TRUE(eventually([&] { return written("one.pid") && written("two.pid"); }));
  const pid_t one = std::stoi(read("one.pid"));
  const pid_t two = std::stoi(read("two.pid"));
  pop.signal(SIGINT);
  ProcessResult result = pop.wait();
  EXPECT_EQ(result.exit_status, 130) << result.err;
  const Json progress = Json::parse(result.out);
  EXPECT_EQ(progress["processingStateMessage"], "cancelled");
  EXPECT_EQ(op(progress, "one")["processingStateMessage"], "cancelled");
  EXPECT_EQ(op(progress, "three")["processingStateMessage"], "pending");
  EXPECT_TRUE(process_gone(one));
  EXPECT_TRUE(process_gone(two));
  expect_no_leftovers();
}

TEST_F(PopRunTest, ResumeRunsOnlyWhatDidNotSucceed) {
  // Each run appends the operation's name to runs.log; "gate" fails until gate.ok exists.
  write("handlers.json", R"({"handlers": {"step": {"command": ["/bin/sh", "-c",
      "echo $POP_OPERATION_NAME >> \"$DIR/runs.log\"; if [ $POP_OPERATION_NAME = gate ] && [ ! -e \"$DIR/gate.ok\" ]; then exit 1; fi; echo \"{\\\"by\\\": \\\"$POP_OPERATION_NAME\\\"}\" > \"$POP_OUTPUT_FILE\""]}}})");
  const std::string agenda = R"({"operations": [
    {"name": "first", "type": "step"},
    {"name": "gate", "type": "step", "params": {"dependsOn": "first"}},
    {"name": "last", "type": "sample", "payload": {"resultPayload": "@<first.out::by>"}, "params": {"dependsOn": "gate"}}]})";
  ProcessResult failed = run_json(agenda);
  ASSERT_EQ(failed.exit_status, 1) << failed.err;
  write("progress.json", failed.out);
  write("gate.ok", "");
  ProcessResult resumed = run_json(agenda, {"--resume", path("progress.json").string()});
  ASSERT_EQ(resumed.exit_status, 0) << resumed.err;
  EXPECT_EQ(read("runs.log"), "first\ngate\ngate\n");
  const Json progress = Json::parse(resumed.out);
  EXPECT_EQ(op(progress, "last")["resultPayload"], "first");
}

TEST_F(PopRunTest, ThousandOperationAgenda) {
  Json agenda = {{"operations", Json::array()}};
  // 10 layers of 100; each operation depends on two operations of the layer before.
  for (int layer = 0; layer < 10; ++layer) {
    for (int i = 0; i < 100; ++i) {
      Json operation = {{"name", "op-" + std::to_string(layer) + "-" + std::to_string(i)},
                        {"type", "true"}};
      if (layer > 0) {
        operation["params"]["dependsOn"] =
            Json::array({"op-" + std::to_string(layer - 1) + "-" + std::to_string(i),
                         "op-" + std::to_string(layer - 1) + "-" + std::to_string((i + 1) % 100)});
      }
      agenda["operations"].push_back(operation);
    }
  }
  ProcessResult result = run_json(agenda.dump(), {"--concurrency", "8"});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const Json progress = Json::parse(result.out);
  ASSERT_EQ(progress["operationProgress"].size(), 1000u);
  for (const auto& operation : progress["operationProgress"])
    ASSERT_EQ(operation["processingStateMessage"], "succeeded") << operation["operation"];
  expect_no_leftovers();
}

TEST_F(PopRunTest, InvalidAgendaExitsTwoWithOneErrorPerLine) {
  ProcessResult result = run_json(R"({"operations": [
    {"name": "a", "type": "sample", "payload": "@<b.out>"},
    {"name": "b", "type": "sample", "payload": "@<a.out>"},
    {"name": "c", "type": "nope", "payload": "@<ghost.out>"}]})");
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_TRUE(result.out.empty()) << result.out;
  EXPECT_NE(result.err.find("dependency cycle: a -> b -> a"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("ghost"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("nope"), std::string::npos) << result.err;
  expect_no_leftovers();
}

TEST_F(PopRunTest, AgendaFromStandardInputWithTextOutput) {
  ProcessResult result = pop::testing::run_process(
      pop_run("-"), env(), dir_->path().string(),
      R"({"operations": [{"name": "hello", "type": "sample", "payload": {"actions": [{"action": "log", "paramsMap": {"logMessage": "hi"}}]}}]})");
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_NE(result.out.find("hello  succeeded"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find(": succeeded 100%"), std::string::npos) << result.out;
}

TEST_F(PopRunTest, HandlersThatEscapeTheirProcessGroupAreEndedToo) {
  write("handlers.json", R"({"handlers": {"daemon": {"command": ["/bin/sh", "-c",
      "setsid sh -c 'echo $$ > \"$DIR/daemon.pid\"; exec sleep 300' & sleep 0.2"]}}})");
  ProcessResult result = run_json(R"({"operations": [{"name": "d", "type": "daemon"}]})");
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const pid_t daemon = std::stoi(read("daemon.pid"));
  EXPECT_TRUE(process_gone(daemon)) << "setsid daemon " << daemon << " outlived pop run";
  expect_no_leftovers();
}

TEST_F(PopRunTest, SecondSignalKillsAtOnce) {
  // The handler ignores SIGTERM and the grace period is long: only the second signal's
  // SIGKILL ends it quickly.
  write(
      "handlers.json",
      R"({"defaults": {"terminationGraceSeconds": 600}, "handlers": {"stubborn": {"command": ["/bin/sh", "-c",
      "trap '' TERM; echo $$ > \"$DIR/stubborn.pid\"; while :; do sleep 1; done"]}}})");
  write("agenda.json", R"({"operations": [{"name": "s", "type": "stubborn"}]})");
  pop::testing::Subprocess pop(pop_run(path("agenda.json").string(), {"--output", "json"}), env(),
                               dir_->path().string());
  ASSERT_TRUE(eventually([&] { return fs::exists(path("stubborn.pid")); }));
  pop.signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto second = std::chrono::steady_clock::now();
  pop.signal(SIGTERM);
  ProcessResult result = pop.wait();
  EXPECT_LT(std::chrono::steady_clock::now() - second, std::chrono::seconds(30));
  EXPECT_EQ(result.exit_status, 130) << result.err;
  EXPECT_TRUE(process_gone(std::stoi(read("stubborn.pid"))));
  expect_no_leftovers();
}

TEST_F(PopRunTest, ResumeRefusesAnotherAgendasProgress) {
  write("progress.json", R"({"agendaId": "other", "processingState": "COMPLETE",
    "processingStateMessage": "failed", "operationProgress": []})");
  ProcessResult result =
      run_json(R"({"id": "mine", "operations": [{"name": "a", "type": "sample"}]})",
               {"--resume", path("progress.json").string()});
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("is the progress of agenda \"other\", not of \"mine\""),
            std::string::npos)
      << result.err;
  write(
      "bad.json",
      R"({"processingState": "COMPLETE", "operationProgress": [{"operation": "a", "processingState": "COMPLETE", "attemptCount": "x"}]})");
  result = run_json(R"({"operations": [{"name": "a", "type": "sample"}]})",
                    {"--resume", path("bad.json").string()});
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("operationProgress[0].attemptCount must be a number"),
            std::string::npos)
      << result.err;
}

TEST_F(PopRunTest, HandlersInvalidUtf8InADiagnosticStillGivesJson) {
  // A handler's log and output file are bytes, not text, and the failure diagnostics quote
  // both: the log's tail, and the parser's complaint about the output file.
  write("handlers.json", R"({"handlers": {"odd": {"command": ["/bin/sh", "-c",
      "printf 'bad \\377 byte' >&2; printf '\"\\377\"' > \"$POP_OUTPUT_FILE\""]}}})");
  ProcessResult result = run_json(R"({"operations": [{"name": "a", "type": "odd"}]})");
  EXPECT_EQ(result.exit_status, 1) << result.err;
  const Json progress = Json::parse(result.out);
  EXPECT_EQ(progress["processingStateMessage"], "failed");
  const Json& event = op(progress, "a")["diagnosticEvents"][0];
  EXPECT_EQ(event["logTail"], "bad \uFFFD byte");
  EXPECT_NE(event["message"].get<std::string>().find("output file is not valid JSON"),
            std::string::npos)
      << event;
}

TEST_F(PopRunTest, HandlerRegistryWithInvalidUtf8IsRefusedNamingTheLine) {
  write("handlers.yaml", "handlers:\n  odd:\n    command: [\"/nonexistent/\xff\"]\n");
  write("agenda.json", R"({"operations": [{"name": "a", "type": "odd"}]})");
  ProcessResult result =
      pop::testing::run_process({POP_BINARY, "run", path("agenda.json").string(), "--handlers",
                                 path("handlers.yaml").string(), "--output", "json"},
                                env(), dir_->path().string());
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("handlers.yaml is not valid YAML: line 3: a string is not valid UTF-8"),
            std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace pop::cli
