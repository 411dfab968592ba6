// `pop executor` as the real binary against a real `pop server`: it runs the one agenda its
// POP_ASSIGNMENT names (here with local handlers) and exits 0 once the completion was
// accepted, 1 when the lease was lost, 2 without an assignment.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "model/assignment_json.h"
#include "puller/http_work_source.h"
#include "testing/api_client.h"
#include "testing/pop_server_fixture.h"
#include "testing/promtool.h"
#include "testing/subprocess.h"

namespace pop::cli {
using Json = nlohmann::json;

namespace {

using namespace std::chrono_literals;

// A type only the registry document (YAML, in the environment) tells the executor about.
constexpr char kRegistryYaml[] = R"(handlers:
  shout:
    command: ["/bin/sh", "-c", "printf '\"%s\"' loud > \"$POP_OUTPUT_FILE\""]
  gate:
    command: ["/bin/sh", "-c", "f=$(printf '%s' \"$POP_PAYLOAD\" | tr -d '\"'); while [ ! -e \"$f\" ]; do sleep 0.05; done"]
)";

class ExecutorCommandTest : public pop::testing::PopServerFixture {
 protected:
  void before_start() override {
    // The server validates operation types at submit: it knows `shout` from a file.
    std::ofstream(dir_->path() / "handlers.yaml") << kRegistryYaml;
  }

  std::vector<std::string> server_arguments() const override {
    return {"--no-embedded-puller", "--lease-seconds", "5", "--handlers",
            (dir_->path() / "handlers.yaml").string()};
  }

  // Submits the agenda and pulls its lease as a puller would.
  Assignment lease(const Json& agenda) {
    token_ = puller_token("default");
    auto source = puller::HttpWorkSource::create({.base_url = base_url_, .bearer_token = token_},
                                                 "default", "test");
    EXPECT_TRUE(source.has_value());
    auto submitted = call("POST", "/v1/agendas", agenda.dump());
    EXPECT_EQ(submitted.status, 201) << submitted.body;
    for (int i = 0; source && i < 20; ++i) {
      auto pulled = (*source)->pull(1, 1s, std::nullopt, {});
      if (pulled && !pulled->assignments.empty()) return pulled->assignments[0];
    }
    ADD_FAILURE() << "nothing to pull";
    return {};
  }

  pop::testing::ProcessResult run_executor(const std::map<std::string, std::string>& env) {
    pop::testing::Subprocess executor({POP_BINARY, "executor", "--server", base_url_, "--runner",
                                       "local", "--report-seconds", "0.2"},
                                      env, dir_->path().string());
    return executor.wait();
  }

  std::string token_;
};

const Json kAgenda = {{"operations",
                       {{{"name", "a"}, {"type", "shout"}, {"payload", Json::object()}},
                        {{"name", "b"},
                         {"type", "sample"},
                         {"payload", {{"resultPayload", {{"heard", "@<a.out>"}}}}}}}}};

TEST_F(ExecutorCommandTest, RunsTheAssignedAgendaAndExitsZeroOnceCompleted) {
  const Assignment assignment = lease(kAgenda);
  const std::string id = assignment.agenda.value("id", "");
  auto result = run_executor({{"POP_ASSIGNMENT", assignment_to_json(assignment).dump()},
                              {"POP_TOKEN", token_},
                              {"POP_HANDLERS_DOCUMENT", kRegistryYaml}});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_NE(result.err.find("agenda " + id + " completed"), std::string::npos) << result.err;
  // Completed before it exited: no waiting.
  const Json progress = Json::parse(call("GET", "/v1/agendas/" + id + "/progress").body);
  EXPECT_EQ(progress["processingStateMessage"], "succeeded") << progress.dump(2);
  EXPECT_EQ(progress["operationProgress"][1]["resultPayload"], (Json{{"heard", "loud"}}));
}

TEST_F(ExecutorCommandTest, ALostLeaseExitsOneSayingSo) {
  Assignment assignment = lease(kAgenda);
  assignment.epoch += 1;  // not the lease the server gave
  auto result = run_executor({{"POP_ASSIGNMENT", assignment_to_json(assignment).dump()},
                              {"POP_TOKEN", token_},
                              {"POP_HANDLERS_DOCUMENT", kRegistryYaml}});
  EXPECT_EQ(result.exit_status, 1) << result.err;
  EXPECT_NE(result.err.find("the lease was lost"), std::string::npos) << result.err;
}

// An executor serves its metrics like a standalone puller, while its agenda runs: here its
// first operation has ended and the second waits for a file.
TEST_F(ExecutorCommandTest, ServesItsMetricsWhileItsAgendaRuns) {
  const std::string gate_file = (dir_->path() / "open").string();
  const Json agenda = {
      {"operations",
       {{{"name", "a"}, {"type", "shout"}, {"payload", Json::object()}},
        {{"name", "b"}, {"type", "gate"}, {"payload", gate_file}, {"dependsOn", {"a"}}}}}};
  const Assignment assignment = lease(agenda);
  pop::testing::Subprocess executor(
      {POP_BINARY, "executor", "--server", base_url_, "--runner", "local", "--report-seconds",
       "0.2", "--metrics-listen", "127.0.0.1:0"},
      {{"POP_ASSIGNMENT", assignment_to_json(assignment).dump()},
       {"POP_TOKEN", token_},
       {"POP_HANDLERS_DOCUMENT", kRegistryYaml}},
      dir_->path().string());
  const std::regex serving(
      R"(serving metrics without a credential on (http://127\.0\.0\.1:[0-9]+))");
  std::string out;
  std::smatch match;
  ASSERT_TRUE(pop::testing::eventually([&] {
    out = executor.stdout_so_far();
    return std::regex_search(out, match, serving);
  })) << out
      << executor.stderr_so_far();
  auto scraper = pop::testing::api_client(match[1].str(), "");
  std::string text;
  EXPECT_TRUE(pop::testing::eventually([&] {
    auto scraped = scraper.request("GET", "/metrics", "", {});
    text = scraped ? scraped->body : "";
    return text.find(
               "\npop_operation_attempts_total{outcome=\"succeeded\",runner=\"local\","
               "type=\"shout\"} 1\n") != std::string::npos;
  })) << text
      << executor.stderr_so_far();
  EXPECT_NE(text.find("\npop_puller_slots_in_use{runner=\"local\"} 1\n"), std::string::npos)
      << text;
  auto checked = pop::testing::promtool_check_metrics(text, dir_->path().string());
  EXPECT_EQ(checked.exit_status, 0) << checked.out << checked.err << "\n" << text;

  std::ofstream(gate_file) << "";
  EXPECT_EQ(executor.wait().exit_status, 0) << executor.stderr_so_far();
}

TEST_F(ExecutorCommandTest, WithoutAnAssignmentExitsTwoNamingIt) {
  auto missing = run_executor({{"POP_TOKEN", "x"}});
  EXPECT_EQ(missing.exit_status, 2);
  EXPECT_NE(missing.err.find("POP_ASSIGNMENT is not set"), std::string::npos) << missing.err;
  auto malformed = run_executor({{"POP_TOKEN", "x"}, {"POP_ASSIGNMENT", R"({"agenda": {}})"}});
  EXPECT_EQ(malformed.exit_status, 2);
  EXPECT_NE(malformed.err.find("epoch"), std::string::npos) << malformed.err;
}

}  // namespace
}  // namespace pop::cli
