// Execution limits against the server: the pull route's skipInsightIds and
// executionLimits over HTTP, and a puller with four slots (standalone over HTTP, or the one
// embedded in the server) that never runs more than one agenda of an insight limited to one
// at once, while the agendas of an insight without a limit run side by side.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "server/server_fixture.h"
#include "util/time_format.h"

namespace pop::api {
using Json = nlohmann::json;

namespace {

using namespace std::chrono_literals;

// An insight of the default pool limited to `limit` handlers, which agendas reach through
// params.defaultInsight only (its mapper matches nothing).
Json limited_insight(const Json& limit) {
  return {{"id", "limited"},         {"resourcePoolId", "default"},
          {"queueSize", 10},         {"isGlobal", true},
          {"executionLimit", limit}, {"mappers", {{"operationType", {"no-such-type"}}}}};
}

// One sample operation sleeping `sleep_ms`, bound to `insight` (empty: the catch-all).
std::string agenda(const std::string& insight, int sleep_ms) {
  Json agenda = {
      {"operations",
       {{{"name", "a"},
         {"type", "sample"},
         {"payload",
          {{"actions",
            {{{"action", "log"},
              {"paramsMap", {{"logMessage", "x"}, {"sleepMilliseconds", sleep_ms}}}}}}}}}}}};
  if (!insight.empty()) agenda["params"] = {{"defaultInsight", insight}};
  return agenda.dump();
}

class ExecutionLimitTest : public pop::server::ServerFixture {
 protected:
  void configure(server::ServerConfig& config) override { config.embedded_puller.reset(); }

  std::string submit(const std::string& body) {
    auto response = call("POST", "/v1/agendas", body);
    EXPECT_EQ(response.status, 201) << response.body;
    return Json::parse(response.body, nullptr, false).value("id", "");
  }

  http_client::Response pull(const Json& body) {
    return call("POST", "/v1/pools/default/pull", body.dump());
  }

  std::set<std::string> ids_of(const Json& answer) {
    std::set<std::string> ids;
    for (const auto& item : answer["agendas"]) ids.insert(item["agenda"]["id"].get<std::string>());
    return ids;
  }

  // Submits agendas of both insights, runs them on the puller `start` starts, and checks
  // what ran at once, by sampling the agendas executing and by the operations' own times.
  template <typename StartPuller>
  void expect_limited_to_one_at_a_time(StartPuller start) {
    ASSERT_EQ(call("POST", "/v1/insights", limited_insight(1).dump()).status, 201);
    std::vector<std::string> limited, open;
    for (int i = 0; i < 4; ++i) limited.push_back(submit(agenda("limited", 400)));
    for (int i = 0; i < 3; ++i) open.push_back(submit(agenda("", 1200)));
    auto puller = start();

    std::map<std::string, std::size_t> most;  // by insight: agendas executing at once
    ASSERT_TRUE(pop::testing::eventually(
        [&] {
          const Json executing =
              Json::parse(call("GET", "/v1/agendas?state=EXECUTING&limit=1000").body);
          std::map<std::string, std::size_t> now;
          for (const auto& item : executing["items"]) ++now[item["insightId"].get<std::string>()];
          for (const auto& [insight, count] : now) most[insight] = std::max(most[insight], count);
          const Json done = Json::parse(call("GET", "/v1/agendas?state=COMPLETE&limit=1000").body);
          return done["items"].size() == limited.size() + open.size();
        },
        60s));
    EXPECT_EQ(most["limited"], 1u) << "agendas of the limited insight executed at once";
    EXPECT_GE(most["default"], 2u) << "the insight without a limit did not run in parallel";

    // The operations' own times: no two of the limited insight overlap.
    std::vector<std::pair<WallTime, WallTime>> spans;
    for (const std::string& id : limited) {
      const Json progress = wait_for_outcome(id);
      EXPECT_EQ(progress["processingStateMessage"], "succeeded") << progress.dump();
      const Json& operation = progress["operationProgress"][0];
      auto started = parse_time(operation["startedTime"]);
      auto completed = parse_time(operation["completedTime"]);
      ASSERT_TRUE(started && completed) << operation.dump();
      spans.emplace_back(*started, *completed);
    }
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i)
      EXPECT_LE(spans[i - 1].second, spans[i].first)
          << "limited operations " << i - 1 << " and " << i << " overlap";
    for (const std::string& id : open)
      EXPECT_EQ(wait_for_outcome(id)["processingStateMessage"], "succeeded");
    puller.stop();
  }
};

TEST_F(ExecutionLimitTest, PullRouteValidatesSkipInsightIdsAndAnswersTheLimits) {
  auto created = call("POST", "/v1/insights", limited_insight(1).dump());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Json::parse(created.body)["executionLimit"], 1);
  auto refused = call("POST", "/v1/insights", limited_insight(0).dump());
  EXPECT_EQ(refused.status, 422);
  EXPECT_NE(refused.body.find("executionLimit must be null or an integer from 1 to 100000"),
            std::string::npos)
      << refused.body;

  const std::vector<std::pair<Json, std::string>> bad = {
      {"limited", "skipInsightIds must be an array of strings"},
      {Json::array({"limited", 7}), "skipInsightIds must be an array of strings"},
      {Json(std::vector<std::string>(1001, "x")), "skipInsightIds may name at most 1000 insights"},
  };
  for (const auto& [skip, message] : bad) {
    auto response = pull({{"pullerId", "t"}, {"waitSeconds", 0}, {"skipInsightIds", skip}});
    EXPECT_EQ(response.status, 400) << response.body;
    EXPECT_EQ(Json::parse(response.body)["error"]["message"], message) << response.body;
  }

  const std::string first = submit(agenda("limited", 0));
  const std::string second = submit(agenda("limited", 0));
  const std::string open = submit(agenda("", 0));
  const Json limits = {{"limited", 1}};
  auto skipping = pull({{"pullerId", "t"},
                        {"max", 10},
                        {"waitSeconds", 0},
                        {"skipInsightIds", {"limited", "unknown"}}});
  ASSERT_EQ(skipping.status, 200) << skipping.body;
  EXPECT_EQ(ids_of(Json::parse(skipping.body)), std::set<std::string>{open});
  EXPECT_EQ(Json::parse(skipping.body)["executionLimits"], limits);
  // An older puller's body: no skipInsightIds. The server hands out one agenda of the
  // insight, its limit, though two wait.
  auto old_body = pull({{"pullerId", "t"}, {"max", 10}, {"waitSeconds", 0}});
  ASSERT_EQ(old_body.status, 200) << old_body.body;
  EXPECT_EQ(ids_of(Json::parse(old_body.body)), std::set<std::string>{first});
  EXPECT_EQ(Json::parse(old_body.body)["executionLimits"], limits);

  // Without its limit the insight is gone from the answer.
  auto replaced = call("PUT", "/v1/insights/limited", limited_insight(nullptr).dump());
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  auto unlimited = pull({{"pullerId", "t"}, {"max", 10}, {"waitSeconds", 0}});
  ASSERT_EQ(unlimited.status, 200) << unlimited.body;
  EXPECT_EQ(ids_of(Json::parse(unlimited.body)), std::set<std::string>{second});
  EXPECT_EQ(Json::parse(unlimited.body)["executionLimits"], Json::object());
}

// A standalone `pop puller` of the default pool with four slots.
class StandalonePuller {
 public:
  StandalonePuller(const std::string& server, const std::string& token, const std::string& work_dir)
      : process_({POP_BINARY, "puller", "--server", server, "--capacity", "4", "--report-seconds",
                  "0.2", "--token", token},
                 {{"TMPDIR", work_dir}}, work_dir) {}
  void stop() {
    process_.signal(SIGTERM);
    EXPECT_EQ(process_.wait().exit_status, 0);
  }

 private:
  pop::testing::Subprocess process_;
};

TEST_F(ExecutionLimitTest, AStandalonePullerRunsOneAgendaOfTheLimitedInsightAtATime) {
  expect_limited_to_one_at_a_time(
      [&] { return StandalonePuller(base_url_, puller_token("default"), dir_->path().string()); });
}

class EmbeddedPullerExecutionLimitTest : public ExecutionLimitTest {
 protected:
  // Keeps the fixture's embedded puller, which ExecutionLimitTest takes away.
  void configure(server::ServerConfig& config) override { config.embedded_puller->capacity = 4; }
};

TEST_F(EmbeddedPullerExecutionLimitTest, TheEmbeddedPullerRunsOneAgendaOfTheLimitedInsightAtATime) {
  struct Embedded {
    void stop() {}
  };
  expect_limited_to_one_at_a_time([] { return Embedded{}; });
}

}  // namespace
}  // namespace pop::api
