// End to end: `pop events` and `pop watch` against a real `pop server` process, as a user
// runs them (no terminal: CI logs and pipes).
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "testing/pop_server_fixture.h"

namespace pop::cli {
using Json = nlohmann::json;

namespace {

using EventCommandsTest = pop::testing::PopServerFixture;

constexpr char kDiamond[] = R"({"operations": [
    {"name": "top", "type": "sample", "payload": {"resultPayload": {"n": 2}}},
    {"name": "left", "type": "sample", "payload": {"resultPayload": "@<top.out::n>"}},
    {"name": "right", "type": "sample", "payload": {"resultPayload": 3}},
    {"name": "join", "type": "sample",
     "payload": {"resultPayload": ["@<left.out>", "@<right.out>"]}}]})";

TEST_F(EventCommandsTest, WatchWithoutATerminalShowsTheFinalTransitionsToo) {
  // Issue 17: the last snapshot went to the summary only, so CI logs missed the end. An
  // agenda that completed before the watch began is all last snapshot.
  auto submitted = call("POST", "/v1/agendas", kDiamond);
  ASSERT_EQ(submitted.status, 201);
  const std::string id = Json::parse(submitted.body)["id"];
  wait_for_outcome(id);
  auto watched = pop::testing::run_process({POP_BINARY, "watch", id, "--server", base_url_},
                                           cli_environment(), dir_->path().string());
  EXPECT_EQ(watched.exit_status, 0) << watched.err;
  for (const char* operation : {"top", "left", "right", "join"}) {
    EXPECT_NE(watched.out.find(std::string("  ") + operation + "  succeeded"), std::string::npos)
        << watched.out;
  }
  EXPECT_NE(watched.out.find(": succeeded 100%"), std::string::npos) << watched.out;
}

TEST_F(EventCommandsTest, WatchFollowsARunningAgendaToItsFailure) {
  auto submitted = call("POST", "/v1/agendas", R"({"params": {"maximumAttempts": 1},
      "operations": [{"name": "slow", "type": "sample", "payload": {"actions": [{"action": "log",
                        "paramsMap": {"sleepMilliseconds": 500}}]}},
                     {"name": "bad", "type": "sample", "payload": {"exitCode": 3},
                      "params": {"dependsOn": "slow"}}]})");
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  const std::string id = Json::parse(submitted.body)["id"];
  auto watched = pop::testing::run_process({POP_BINARY, "watch", id, "--server", base_url_},
                                           cli_environment(), dir_->path().string());
  EXPECT_EQ(watched.exit_status, 1) << watched.out << watched.err;
  EXPECT_NE(watched.out.find("  slow  succeeded"), std::string::npos) << watched.out;
  EXPECT_NE(watched.out.find("  bad  failed"), std::string::npos) << watched.out;
}

TEST_F(EventCommandsTest, EventsPrintsOneLinePerEventAndJsonOnRequest) {
  pop::testing::Subprocess text(
      {POP_BINARY, "events", "--type", "agenda.completed", "--server", base_url_},
      cli_environment(), dir_->path().string());
  pop::testing::Subprocess json({POP_BINARY, "events", "-o", "json", "--server", base_url_},
                                cli_environment(), dir_->path().string());
  // Until both streams are open an agenda's events may pass them by: the next one's do not.
  std::string id;
  const auto json_told = [&](const std::string& type) {
    std::istringstream lines(json.stdout_so_far());
    for (std::string line; std::getline(lines, line);) {
      if (line.find(id) != std::string::npos && line.find(type) != std::string::npos) return true;
    }
    return false;
  };
  const bool seen = pop::testing::eventually([&] {
    auto submitted = call("POST", "/v1/agendas", kDiamond);
    id = Json::parse(submitted.body).value("id", "");
    wait_for_outcome(id);
    return pop::testing::eventually(
               [&] {
                 return text.stdout_so_far().find(id) != std::string::npos &&
                        json_told("agenda.completed");
               },
               std::chrono::seconds(2)) &&
           json_told("agenda.submitted");
  });
  ASSERT_TRUE(seen) << text.stderr_so_far() << json.stderr_so_far();
  const std::string lines = text.stdout_so_far();
  EXPECT_EQ(lines.find("agenda.submitted"), std::string::npos) << lines;  // filtered out
  EXPECT_NE(lines.find("agenda.completed  " + id + "  attemptsCompleted=1 outcome=succeeded"),
            std::string::npos)
      << lines;
  // One JSON object per line, each with its id; the agenda's life in order.
  std::istringstream json_lines(json.stdout_so_far());
  std::vector<std::string> types;
  for (std::string line; std::getline(json_lines, line);) {
    const Json event = Json::parse(line);
    EXPECT_FALSE(event.value("id", "").empty()) << line;
    if (event.value("agendaId", "") == id) types.push_back(event.value("type", ""));
  }
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.front(), "agenda.submitted");
  EXPECT_EQ(types.back(), "agenda.completed");
  text.signal(SIGTERM);
  json.signal(SIGTERM);
}

}  // namespace
}  // namespace pop::cli
