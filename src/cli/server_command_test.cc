// End to end: a real `pop server` process with its SQLite file and embedded puller, driven
// over loopback HTTP.
#include <gtest/gtest.h>
#include <signal.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "http_client/client.h"
#include "testing/pop_server_fixture.h"
#include "util/yaml_json.h"

namespace pop::cli {
using Json = nlohmann::json;

namespace {

using namespace std::chrono_literals;

std::string header(const http_client::Response& response, const std::string& name) {
  auto it = response.headers.find(name);
  return it == response.headers.end() ? std::string() : it->second;
}

using PopServerTest = pop::testing::PopServerFixture;

TEST_F(PopServerTest, DiamondSubmittedOverHttpCompletes) {
  const std::string diamond = R"({"operations": [
    {"name": "top", "type": "sample", "payload": {"resultPayload": {"n": 2}}},
    {"name": "left", "type": "sample", "payload": {"resultPayload": "@<top.out::n>"}},
    {"name": "right", "type": "sample", "payload": {"resultPayload": "@<pop.agendaId>"}},
    {"name": "join", "type": "sample", "payload": {"resultPayload": ["@<left.out>", "@<right.out>"]}}]})";
  auto submitted = call("POST", "/v1/agendas", diamond);
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  const std::string id = Json::parse(submitted.body)["id"];
  EXPECT_EQ(header(submitted, "Location"), "/v1/agendas/" + id);
  const Json progress = wait_for_outcome(id);
  EXPECT_EQ(progress["processingStateMessage"], "succeeded") << progress.dump(2);
  EXPECT_EQ(progress["operationProgress"][3]["resultPayload"], Json::array({2, id}));
}

TEST_F(PopServerTest, IdempotencyKeyReturnsTheFirstAgenda) {
  const std::string body = R"({"operations": [{"name": "a", "type": "sample"}]})";
  http_client::Headers headers;
  headers["Idempotency-Key"] = "same-key";
  auto first = call("POST", "/v1/agendas", body, headers);
  auto second = call("POST", "/v1/agendas", body, headers);
  ASSERT_EQ(first.status, 201);
  ASSERT_EQ(second.status, 201);
  EXPECT_EQ(Json::parse(first.body)["id"], Json::parse(second.body)["id"]);
  EXPECT_EQ(header(second, "Idempotent-Replayed"), "true");
}

TEST_F(PopServerTest, ErrorsHaveTheirStatusAndOneShape) {
  http_client::Headers correlation;
  correlation["X-Correlation-Id"] = "test-correlation-1";
  auto malformed = call("POST", "/v1/agendas", "{not json", correlation);
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(header(malformed, "X-Correlation-Id"), "test-correlation-1");
  EXPECT_EQ(Json::parse(malformed.body)["error"]["correlationId"], "test-correlation-1");
  EXPECT_EQ(Json::parse(malformed.body)["error"]["code"], "invalid_argument");

  auto invalid =
      call("POST", "/v1/agendas",
           R"({"operations": [{"name": "a", "type": "sample", "payload": "@<b.out>"}]})");
  EXPECT_EQ(invalid.status, 422);
  const Json error = Json::parse(invalid.body)["error"];
  EXPECT_EQ(error["code"], "invalid_agenda");
  EXPECT_EQ(error["details"][0],
            "operation \"a\", field payload: reference \"@<b.out>\" names unknown operation \"b\"");

  auto missing = call("GET", "/v1/agendas/no-such-agenda");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Json::parse(missing.body)["error"]["code"], "not_found");

  auto stale = call("PUT", "/v1/agendas/no-such-agenda/leases/1/progress",
                    R"({"processingState": "EXECUTING", "operationProgress": []})",
                    {{"Pop-Lease-Key", "a2V5"}});
  EXPECT_EQ(stale.status, 404);
  auto keyless = call("PUT", "/v1/agendas/no-such-agenda/leases/1/progress",
                      R"({"processingState": "EXECUTING", "operationProgress": []})");
  EXPECT_EQ(keyless.status, 400);
  EXPECT_NE(keyless.body.find("Pop-Lease-Key"), std::string::npos) << keyless.body;
  auto bad_epoch = call("PUT", "/v1/agendas/x/leases/zero/progress", "{}");
  EXPECT_EQ(bad_epoch.status, 400);
  auto method = call("DELETE", "/healthz");
  EXPECT_EQ(method.status, 405);
  EXPECT_EQ(call("GET", "/healthz").status, 200);
}

TEST_F(PopServerTest, ExplainNamesTheInsightAndState) {
  auto submitted =
      call("POST", "/v1/agendas", R"({"operations": [{"name": "a", "type": "sample"}]})");
  ASSERT_EQ(submitted.status, 201);
  const std::string id = Json::parse(submitted.body)["id"];
  wait_for_outcome(id);
  auto explained = call("GET", "/v1/agendas/" + id + "/explain");
  ASSERT_EQ(explained.status, 200);
  EXPECT_EQ(Json::parse(explained.body)["processingState"], "COMPLETE");
}

TEST_F(PopServerTest, CliSubmitWatchAndStatus) {
  const std::string scratch = dir_->path().string();
  auto submitted = pop::testing::run_process(
      {POP_BINARY, "submit", "-", "--server", base_url_}, cli_environment(), scratch,
      R"({"operations": [{"name": "a", "type": "sample", "payload": {"resultPayload": 5}}]})");
  ASSERT_EQ(submitted.exit_status, 0) << submitted.err;
  const std::string id = submitted.out.substr(0, submitted.out.find('\n'));
  auto watched = pop::testing::run_process({POP_BINARY, "watch", id, "--server", base_url_},
                                           cli_environment(), scratch);
  EXPECT_EQ(watched.exit_status, 0) << watched.out << watched.err;
  EXPECT_NE(watched.out.find(": succeeded 100%"), std::string::npos) << watched.out;
  auto status = pop::testing::run_process(
      {POP_BINARY, "status", id, "--server", base_url_, "-o", "json"}, cli_environment(), scratch);
  ASSERT_EQ(status.exit_status, 0) << status.err;
  EXPECT_EQ(Json::parse(status.out)["operationProgress"][0]["resultPayload"], 5);
  auto missing = pop::testing::run_process({POP_BINARY, "status", "nope", "--server", base_url_},
                                           cli_environment(), scratch);
  EXPECT_EQ(missing.exit_status, 2);
  EXPECT_NE(missing.err.find("no agenda nope"), std::string::npos) << missing.err;
  auto invalid = pop::testing::run_process({POP_BINARY, "submit", "-", "--server", base_url_},
                                           cli_environment(), scratch, R"({"operations": []})");
  EXPECT_EQ(invalid.exit_status, 2);
  EXPECT_NE(invalid.err.find("an agenda needs at least one operation"), std::string::npos)
      << invalid.err;
}

TEST_F(PopServerTest, ListFiltersAndPagesOverHttp) {
  std::vector<std::string> ids;
  for (const char* link : {"L1", "L2", "L1"}) {
    auto submitted = call("POST", "/v1/agendas",
                          std::string(R"({"linkId": ")") + link +
                              R"(", "operations": [{"name": "a", "type": "sample"}]})");
    ASSERT_EQ(submitted.status, 201);
    ids.push_back(Json::parse(submitted.body)["id"]);
  }
  for (const auto& id : ids) wait_for_outcome(id);
  auto linked = call("GET", "/v1/agendas?linkId=L1&state=COMPLETE");
  ASSERT_EQ(linked.status, 200) << linked.body;
  const Json items = Json::parse(linked.body)["items"];
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]["id"], ids[0]);
  EXPECT_EQ(items[1]["id"], ids[2]);
  EXPECT_EQ(items[0]["processingStateMessage"], "succeeded");
  EXPECT_TRUE(Json::parse(call("GET", "/v1/agendas?state=WAITING").body)["items"].empty());

  std::vector<std::string> paged;
  std::string target = "/v1/agendas?limit=2";
  for (int pages = 0; pages < 5; ++pages) {
    const Json page = Json::parse(call("GET", target).body);
    for (const auto& item : page["items"]) paged.push_back(item["id"]);
    if (!page.contains("nextCursor")) break;
    target = "/v1/agendas?limit=2&cursor=" + page["nextCursor"].get<std::string>();
  }
  EXPECT_EQ(paged, ids);

  for (const char* bad : {"/v1/agendas?state=DONE", "/v1/agendas?limit=0", "/v1/agendas?limit=1001",
                          "/v1/agendas?cursor=forged", "/v1/agendas?color=red"}) {
    auto refused = call("GET", bad);
    EXPECT_EQ(refused.status, 400) << bad;
    EXPECT_EQ(Json::parse(refused.body)["error"]["code"], "invalid_argument") << bad;
  }
  auto cli = pop::testing::run_process(
      {POP_BINARY, "list", "--link-id", "L2", "--server", base_url_, "-o", "json"},
      cli_environment(), dir_->path().string());
  ASSERT_EQ(cli.exit_status, 0) << cli.err;
  EXPECT_EQ(Json::parse(cli.out).at(0)["id"], ids[1]);
}

TEST_F(PopServerTest, RerunVariantsAndDeleteOverHttp) {
  auto submitted = call("POST", "/v1/agendas", R"({"operations": [
    {"name": "a", "type": "sample", "payload": {"resultPayload": "@<pop.agendaId>"}},
    {"name": "b", "type": "sample", "payload": {"resultPayload": "@<a.out>"}},
    {"name": "c", "type": "sample"}]})");
  ASSERT_EQ(submitted.status, 201);
  const std::string id = Json::parse(submitted.body)["id"];
  const std::string base = "/v1/agendas/" + id;
  auto attempts = [](const Json& progress) {
    std::string out;
    for (const auto& operation : progress["operationProgress"])
      out += std::to_string(operation["attemptCount"].get<int>());
    return out;
  };
  EXPECT_EQ(attempts(wait_for_outcome(id)), "111");

  // Continue: nothing failed, so nothing runs again; operationsToReset=a takes b along.
  ASSERT_EQ(call("POST", base + "/rerun", R"({"continue": true})").status, 200);
  EXPECT_EQ(attempts(wait_for_outcome(id)), "111");
  auto reset = call("POST", base + "/rerun", R"({"operationsToReset": "a"})");
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(attempts(Json::parse(reset.body)), "001");
  const Json after_reset = wait_for_outcome(id);
  EXPECT_EQ(after_reset["processingStateMessage"], "succeeded");
  EXPECT_EQ(attempts(after_reset), "111");
  EXPECT_EQ(after_reset["operationProgress"][1]["resultPayload"], id);

  // Held by skipExecution until the CLI reruns it (resetAll).
  auto held = call("POST", base + "/rerun", R"({"skipExecution": true})");
  ASSERT_EQ(held.status, 200);
  EXPECT_EQ(Json::parse(held.body)["processingStateMessage"], "held");
  auto cli = pop::testing::run_process({POP_BINARY, "rerun", id, "--server", base_url_},
                                       cli_environment(), dir_->path().string());
  ASSERT_EQ(cli.exit_status, 0) << cli.err;
  EXPECT_EQ(wait_for_outcome(id)["processingStateMessage"], "succeeded");

  const std::pair<const char*, int> refusals[] = {
      {R"({"continue": true, "resetAll": true})", 400},
      {R"({"operationsToReset": "nope"})", 400},
      {R"({"sideways": true})", 400},
      {"[1", 400},
  };
  for (const auto& [body, status] : refusals) {
    auto refused = call("POST", base + "/rerun", body);
    EXPECT_EQ(refused.status, status) << body << ": " << refused.body;
    EXPECT_TRUE(Json::parse(refused.body)["error"].contains("message"));
  }
  EXPECT_EQ(call("POST", "/v1/agendas/nope/rerun", "{}").status, 404);

  auto deleted = pop::testing::run_process({POP_BINARY, "delete", id, "--server", base_url_},
                                           cli_environment(), dir_->path().string());
  ASSERT_EQ(deleted.exit_status, 0) << deleted.err;
  EXPECT_EQ(call("GET", base).status, 404);
  EXPECT_EQ(call("GET", base + "/progress").status, 404);
  EXPECT_EQ(call("DELETE", base).status, 404);
}

TEST_F(PopServerTest, CliLogsPrintsEachAttemptsLogAndTheDiagnosticsWithout) {
  auto submitted = call("POST", "/v1/agendas", R"({"params": {"maximumAttempts": 1},
    "operations": [{"name": "Breaks", "type": "sample", "params": {"maximumAttempts": 2,
      "retryBackoffSeconds": 0},
      "payload": {"actions": [{"action": "exception", "paramsMap": {"message": "disk on fire"}}]}}]})");
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  const std::string id = Json::parse(submitted.body)["id"];
  EXPECT_EQ(wait_for_outcome(id)["processingStateMessage"], "failed");
  auto pop_logs = [&](std::vector<std::string> arguments) {
    std::vector<std::string> command{POP_BINARY, "logs", id};
    command.insert(command.end(), arguments.begin(), arguments.end());
    command.insert(command.end(), {"--server", base_url_});
    return pop::testing::run_process(command, cli_environment(), dir_->path().string());
  };
  auto count = [](const std::string& text, const std::string& what) {
    std::size_t found = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++found;
    return found;
  };
  for (const std::vector<std::string>& arguments :
       {std::vector<std::string>{"breaks"}, {"breaks", "--attempt", "1"}, {"breaks", "-f"}}) {
    auto logs = pop_logs(arguments);
    ASSERT_EQ(logs.exit_status, 0) << logs.err;
    EXPECT_EQ(count(logs.out, "disk on fire"), 1u) << logs.out;
  }
  auto missing = pop_logs({"breaks", "--attempt", "3"});
  EXPECT_EQ(missing.exit_status, 2);
  EXPECT_NE(missing.err.find("no stored log of attempt 3"), std::string::npos) << missing.err;

  // -o json, and an operation without a stored log, show the diagnostics: each failed
  // attempt's message with its log tail.
  auto diagnostics = pop_logs({"breaks", "-o", "json"});
  ASSERT_EQ(diagnostics.exit_status, 0) << diagnostics.err;
  EXPECT_GE(count(diagnostics.out, "disk on fire"), 2u) << diagnostics.out;
  EXPECT_NE(diagnostics.out.find("logTail"), std::string::npos) << diagnostics.out;
  auto held =
      call("POST", "/v1/agendas",
           R"({"params": {"doNotRun": true}, "operations": [{"name": "w", "type": "sample"}]})");
  ASSERT_EQ(held.status, 201) << held.body;
  const std::string held_id = Json::parse(held.body)["id"];
  auto never_ran =
      pop::testing::run_process({POP_BINARY, "logs", held_id, "w", "--server", base_url_},
                                cli_environment(), dir_->path().string());
  ASSERT_EQ(never_ran.exit_status, 0) << never_ran.err;
  EXPECT_NE(never_ran.out.find("w: "), std::string::npos) << never_ran.out;
  EXPECT_NE(never_ran.out.find("0 attempt(s)"), std::string::npos) << never_ran.out;

  auto unknown = pop_logs({"nope"});
  EXPECT_EQ(unknown.exit_status, 2);
  EXPECT_NE(unknown.err.find("no operation \"nope\""), std::string::npos) << unknown.err;
}

// docs/api/openapi.yaml and the server agree: every documented operation has a route.
TEST_F(PopServerTest, EveryDocumentedOperationIsServed) {
  const auto spec_path =
      std::filesystem::path(__FILE__).parent_path() / "../../docs/api/openapi.yaml";
  auto spec = yaml_to_json(pop::testing::read_file(spec_path.string()),
                           {.max_bytes = 4u << 20, .max_depth = 64, .max_values = 1'000'000});
  ASSERT_TRUE(spec.has_value()) << spec.error().message;
  std::size_t checked = 0;
  for (const auto& [path, operations] : (*spec)["paths"].items()) {
    // Fill path parameters: ids with a name no agenda has, epochs with 1.
    const std::string target =
        std::regex_replace(std::regex_replace(path, std::regex(R"(\{epoch\})"), "1"),
                           std::regex(R"(\{[^}]+\})"), "undocumented-check");
    for (const auto& [method, operation] : operations.items()) {
      if (method == "parameters") continue;
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      // A stream (text/event-stream) is read up to its first bytes: it does not end.
      const bool streamed = operation.value("responses", Json::object())
                                .value("200", Json::object())
                                .value("content", Json::object())
                                .contains("text/event-stream");
      auto response =
          streamed
              ? client_->stream({upper, target, "", {}, {}}, [](std::string_view) { return false; })
                    .value_or(http_client::Response{})
              : call(upper, target, "{}");
      // Errors are JSON; a success may be another format (GET /metrics is text).
      const Json body = Json::parse(response.body, nullptr, false);
      const std::string message =
          body.is_object() ? body.value("error", Json::object()).value("message", "") : "";
      EXPECT_NE(response.status, 405) << upper << " " << path << " is documented but not routed";
      EXPECT_NE(message, "no resource at this path")
          << upper << " " << path << " is documented but not routed";
      ++checked;
    }
  }
  EXPECT_GE(checked, 9u);
}

// A server whose registry has a handler that records its pid and runs until killed.
class CancelTest : public PopServerTest {
 protected:
  std::vector<std::string> server_arguments() const override {
    std::ofstream(dir_->path() / "handlers.json")
        << R"({"handlers": {"slow": {"command": ["/bin/sh", "-c", "echo $$ > \"$DIR/slow.pid\"; sleep 300 & wait"]}}})";
    return {"--handlers", (dir_->path() / "handlers.json").string(), "--lease-seconds", "3"};
  }
};

TEST_F(CancelTest, CancelOfARunningAgendaLeavesNoHandlerProcess) {
  auto submitted =
      call("POST", "/v1/agendas", R"({"operations": [{"name": "s", "type": "slow"}]})");
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  const std::string id = Json::parse(submitted.body)["id"];
  const auto pid_file = dir_->path() / "slow.pid";
  ASSERT_TRUE(pop::testing::eventually([&] { return std::filesystem::exists(pid_file); }));
  std::string pid_text;
  ASSERT_TRUE(pop::testing::eventually([&] {
    pid_text = pop::testing::read_file(pid_file.string());
    return !pid_text.empty() && pid_text.back() == '\n';
  }));
  const pid_t handler = std::stoi(pid_text);

  auto cancelled = pop::testing::run_process({POP_BINARY, "cancel", id, "--server", base_url_},
                                             cli_environment(), dir_->path().string());
  ASSERT_EQ(cancelled.exit_status, 0) << cancelled.err;
  EXPECT_EQ(
      Json::parse(call("GET", "/v1/agendas/" + id + "/progress").body)["processingStateMessage"],
      "cancelled");
  EXPECT_TRUE(pop::testing::eventually([&] { return pop::testing::process_gone(handler); }))
      << "handler " << handler << " still runs after cancel";
  EXPECT_EQ(call("POST", "/v1/agendas/" + id + "/cancel").status, 409);
}

TEST_F(CancelTest, RerunOfARunningAgendaIsAConflictAndDeleteStopsIt) {
  auto submitted =
      call("POST", "/v1/agendas", R"({"operations": [{"name": "s", "type": "slow"}]})");
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  const std::string id = Json::parse(submitted.body)["id"];
  const auto pid_file = dir_->path() / "slow.pid";
  std::string pid_text;
  ASSERT_TRUE(pop::testing::eventually([&] {
    pid_text = pop::testing::read_file(pid_file.string());
    return !pid_text.empty() && pid_text.back() == '\n';
  }));
  auto rerun = call("POST", "/v1/agendas/" + id + "/rerun", "{}");
  EXPECT_EQ(rerun.status, 409);
  EXPECT_NE(Json::parse(rerun.body)["error"]["message"].get<std::string>().find("cancel it first"),
            std::string::npos)
      << rerun.body;
  EXPECT_EQ(call("DELETE", "/v1/agendas/" + id).status, 204);
  const pid_t handler = std::stoi(pid_text);
  EXPECT_TRUE(pop::testing::eventually([&] { return pop::testing::process_gone(handler); }))
      << "handler " << handler << " still runs after its agenda was deleted";
}

// An embedded puller with 2 cpus to give: agendas declaring 2 cpus each run one at a time,
// although it has slots for four.
class ResourceAdmissionTest : public PopServerTest {
 protected:
  std::vector<std::string> server_arguments() const override {
    return {"--resource", "cpu=2", "--capacity", "4"};
  }
};

TEST_F(ResourceAdmissionTest, AgendasRunOnlyWhileTheirDeclaredResourcesFit) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto submitted = call("POST", "/v1/agendas", R"({"params": {"resources": {"cpu": 2}},
      "operations": [{"name": "a", "type": "sample", "payload": {"actions": [
        {"action": "log", "paramsMap": {"logMessage": "busy", "sleepMilliseconds": 400}}]}}]})");
    ASSERT_EQ(submitted.status, 201) << submitted.body;
    ids.push_back(Json::parse(submitted.body)["id"]);
  }
  std::vector<std::pair<std::string, std::string>> spans;  // [start, end] as ISO 8601 text
  for (const auto& id : ids) {
    const Json progress = wait_for_outcome(id);
    ASSERT_EQ(progress["processingStateMessage"], "succeeded") << progress.dump(2);
    spans.emplace_back(progress["operationProgress"][0]["attemptTime"],
                       progress["operationProgress"][0]["completedTime"]);
  }
  std::sort(spans.begin(), spans.end());
  for (std::size_t i = 1; i < spans.size(); ++i)
    EXPECT_LE(spans[i - 1].second, spans[i].first) << "two 2-cpu agendas overlapped";
  auto oversized = call("POST", "/v1/agendas", R"({"params": {"resources": {"cpu": "two"}},
      "operations": [{"name": "a", "type": "sample"}]})");
  EXPECT_EQ(oversized.status, 422);
}

// The server without its embedded puller, and standalone pullers talking HTTP to it.
class StandalonePullerTest : public PopServerTest {
 protected:
  std::vector<std::string> server_arguments() const override {
    return {"--no-embedded-puller", "--lease-seconds", "1"};
  }

  pop::testing::Subprocess start_puller(const std::string& id) {
    return pop::testing::Subprocess(
        {POP_BINARY, "puller", "--server", base_url_, "--puller-id", id, "--report-seconds", "0.2",
         "--token", puller_token("default")},
        // A killed puller cannot remove its work directory: keep it inside the test's.
        {{"DIR", dir_->path().string()}, {"TMPDIR", dir_->path().string()}}, dir_->path().string());
  }
};

TEST_F(StandalonePullerTest, KilledPullersAgendaIsFinishedByAnotherWithoutRerunningWhatSucceeded) {
  // "first" records each run; "second" blocks until released by a file, so the first puller
  // can be killed while it runs.
  const std::string agenda = R"({"operations": [
    {"name": "first", "type": "sample", "payload": {"resultPayload": {"v": 1}}},
    {"name": "second", "type": "sample", "params": {"dependsOn": "first"},
     "payload": {"actions": [{"action": "log", "paramsMap": {"logMessage": "x", "sleepMilliseconds": 1500}}],
                 "resultPayload": "@<first.out::v>"}}]})";
  auto submitted = call("POST", "/v1/agendas", agenda);
  ASSERT_EQ(submitted.status, 201);
  const std::string id = Json::parse(submitted.body)["id"];
  {
    auto doomed = start_puller("doomed");
    ASSERT_TRUE(pop::testing::eventually([&] {
      const Json progress = Json::parse(call("GET", "/v1/agendas/" + id + "/progress").body);
      return progress["operationProgress"][1]["processingStateMessage"] == "running";
    }));
    doomed.signal(SIGKILL);
    doomed.wait();
  }
  // Its lease expires (1 s) and the agenda waits again in continue mode.
  ASSERT_TRUE(pop::testing::eventually([&] {
    return Json::parse(call("GET", "/v1/agendas/" + id + "/progress").body)["processingState"] ==
           "WAITING";
  }));
  auto rescuer = start_puller("rescuer");
  const Json progress = wait_for_outcome(id);
  EXPECT_EQ(progress["processingStateMessage"], "succeeded") << progress.dump(2);
  EXPECT_EQ(progress["operationProgress"][0]["attemptCount"], 1)
      << "a succeeded operation ran again";
  EXPECT_EQ(progress["operationProgress"][1]["resultPayload"], 1);
  rescuer.signal(SIGTERM);
  EXPECT_EQ(rescuer.wait().exit_status, 0);
}

}  // namespace
}  // namespace pop::cli
