// The sample handler run in a forked child, as a runner would run it: payload and output
// file through the environment, progress on a pipe.
#include "handlers/sample_handler.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "testing/file_contents.h"
#include "util/temp_dir.h"

namespace pop {
using Json = nlohmann::json;

namespace {

using pop::testing::read_file;

struct SampleRun {
  int exit_status = -1;
  std::string out;
  std::string err;
  std::optional<std::string> output;  // POP_OUTPUT_FILE, if written
  std::vector<Json> progress;
};

enum class Delivery { kEnvironment, kFile, kNone };

SampleRun run_sample(const std::string& payload, Delivery delivery = Delivery::kEnvironment) {
  SampleRun run;
  auto dir = TempDir::create("pop-sample-handler-test-");
  EXPECT_TRUE(dir) << dir.error().message;
  if (!dir) return run;
  const auto out = dir->path() / "stdout";
  const auto err = dir->path() / "stderr";
  const auto output = dir->path() / "output.json";
  const auto payload_file = dir->path() / "payload.json";
  std::ofstream(payload_file) << payload;
  int progress[2];
  EXPECT_EQ(::pipe(progress), 0);

  // The child would otherwise inherit, and later flush, whatever gtest has buffered.
  std::cout.flush();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe work before run_sample_handler() would be strictly required in
    // a multi-threaded parent; the test process is single-threaded here.
    ::close(progress[0]);
    ::dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), STDOUT_FILENO);
    ::dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), STDERR_FILENO);
    ::unsetenv("POP_PAYLOAD");
    ::unsetenv("POP_PAYLOAD_FILE");
    if (delivery == Delivery::kEnvironment) ::setenv("POP_PAYLOAD", payload.c_str(), 1);
    if (delivery == Delivery::kFile) ::setenv("POP_PAYLOAD_FILE", payload_file.c_str(), 1);
    ::setenv("POP_OUTPUT_FILE", output.c_str(), 1);
    ::setenv("POP_PROGRESS_FD", std::to_string(progress[1]).c_str(), 1);
    ::_exit(run_sample_handler());
  }
  ::close(progress[1]);
  std::string lines;
  char buffer[4096];
  for (ssize_t n; (n = ::read(progress[0], buffer, sizeof buffer)) > 0;) {
    lines.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(progress[0]);
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  run.exit_status = WEXITSTATUS(status);
  run.out = read_file(out);
  run.err = read_file(err);
  if (std::filesystem::exists(output)) run.output = read_file(output);
  std::istringstream stream(lines);
  for (std::string line; std::getline(stream, line);) run.progress.push_back(Json::parse(line));
  return run;
}

TEST(SampleHandlerTest, LogsAndReturnsTheResultPayload) {
  const auto run = run_sample(R"({
      "actions": [{"action": "log", "paramsMap": {"logMessage": "hello"}},
                  {"action": "log", "paramsMap": {"logMessage": "again"}}],
      "resultPayload": {"x": [1, 2]}})");
  EXPECT_EQ(run.exit_status, 0) << run.err;
  EXPECT_EQ(run.out, "hello\nagain\n");
  EXPECT_EQ(run.err, "");
  ASSERT_TRUE(run.output);
  EXPECT_EQ(Json::parse(*run.output), Json::parse(R"({"x": [1, 2]})"));
}

TEST(SampleHandlerTest, ReportsProgressWhileSleepingWeightedBySleep) {
  const auto run = run_sample(R"({
      "actions": [{"action": "log", "paramsMap": {"logMessage": "short",
                                                   "sleepMilliseconds": 100}},
                  {"action": "log", "paramsMap": {"logMessage": "long",
                                                   "sleepMilliseconds": "300"}}]})");
  EXPECT_EQ(run.exit_status, 0) << run.err;
  EXPECT_FALSE(run.output);  // no resultPayload, no output
  ASSERT_GE(run.progress.size(), 20u);
  double previous = 0;
  bool reached_quarter = false;
  for (const auto& report : run.progress) {
    const double percent = report.at("percentComplete").get<double>();
    EXPECT_GE(percent, previous);
    previous = percent;
    // The first action is a quarter of the total sleep.
    if (percent == 25) {
      reached_quarter = true;
      EXPECT_EQ(report.at("message"), "action 1 of 2: short");
    }
  }
  EXPECT_TRUE(reached_quarter);
  EXPECT_EQ(previous, 100);
}

TEST(SampleHandlerTest, ReportsAtLeastEvery200Milliseconds) {
  const auto run = run_sample(R"({
      "actions": [{"action": "log", "paramsMap": {"sleepMilliseconds": 2400}}]})");
  EXPECT_EQ(run.exit_status, 0) << run.err;
  EXPECT_GE(run.progress.size(), 12u);
}

TEST(SampleHandlerTest, ExceptionFailsWithItsMessageAndStops) {
  const auto run = run_sample(R"({
      "actions": [{"action": "exception", "paramsMap": {"message": "boom"}},
                  {"action": "log", "paramsMap": {"logMessage": "never"}}],
      "resultPayload": {"unused": true}})");
  EXPECT_EQ(run.exit_status, 1);
  EXPECT_EQ(run.err, "boom\n");
  EXPECT_EQ(run.out, "");
  EXPECT_FALSE(run.output);
}

TEST(SampleHandlerTest, ExceptionUsesExitCodeAndADefaultMessage) {
  const auto run = run_sample(R"({"actions": [{"action": "exception"}], "exitCode": 7})");
  EXPECT_EQ(run.exit_status, 7);
  EXPECT_EQ(run.err, "sample handler exception\n");
}

TEST(SampleHandlerTest, ExitCodeWithoutExceptionStillWritesTheResult) {
  const auto run = run_sample(R"({"resultPayload": "partial", "exitCode": 3})");
  EXPECT_EQ(run.exit_status, 3);
  EXPECT_EQ(run.output, "\"partial\"");
}

TEST(SampleHandlerTest, UnknownActionFailsBeforeAnythingRuns) {
  const auto run = run_sample(R"({
      "actions": [{"action": "log", "paramsMap": {"logMessage": "first"}},
                  {"action": "explode"}]})");
  EXPECT_EQ(run.exit_status, 2);
  EXPECT_EQ(run.out, "");
  EXPECT_NE(run.err.find("actions[1].action \"explode\" is not a known action"), std::string::npos)
      << run.err;
}

TEST(SampleHandlerTest, MalformedPayloadsExitWith2) {
  for (const char* payload :
       {"{nope", "[]", R"({"actions": {}})", R"({"actions": [{"action": "log",
         "paramsMap": {"sleepMilliseconds": -1}}]})",
        R"({"exitCode": 256})",
        R"({"actions": [{"action": "log", "paramsMap": {"logMessage": 5}}]})"}) {
    const auto run = run_sample(payload);
    EXPECT_EQ(run.exit_status, 2) << payload;
    EXPECT_TRUE(run.err.starts_with("sample handler: ")) << run.err;
  }
}

TEST(SampleHandlerTest, NullPayloadDoesNothingSuccessfully) {
  const auto run = run_sample("null");
  EXPECT_EQ(run.exit_status, 0) << run.err;
  EXPECT_EQ(run.out, "");
}

TEST(SampleHandlerTest, ReadsThePayloadFromAFile) {
  const auto run = run_sample(R"({"resultPayload": {"via": "file"}})", Delivery::kFile);
  EXPECT_EQ(run.exit_status, 0) << run.err;
  EXPECT_EQ(run.output, R"({"via":"file"})");
}

TEST(SampleHandlerTest, MissingPayloadExitsWith2) {
  const auto run = run_sample("{}", Delivery::kNone);
  EXPECT_EQ(run.exit_status, 2);
  EXPECT_NE(run.err.find("POP_PAYLOAD"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace pop
