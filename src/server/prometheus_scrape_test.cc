// A real Prometheus 2.42 scraping a real server's --metrics-listen port: what an operator
// sets up first. The exposition must be taken whole (a format error fails the scrape: `up`
// would be 0) and the documented series must be queryable as they change: a queue that
// fills and drains, durations recorded for the agendas that ran.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/server_fixture.h"
#include "testing/prometheus_server.h"
#include "testing/subprocess.h"

namespace pop::server {
namespace {

class PrometheusScrapeTest : public ServerFixture {
 protected:
  void configure(ServerConfig& config) override {
    config.metrics_export.listen = std::pair<std::string, std::uint16_t>{"127.0.0.1", 0};
    config.embedded_puller->capacity = 1;  // agendas queue behind the one running
  }

  // The value of the query's first sample, when it has one.
  static std::optional<double> value(pop::testing::PrometheusServer& prometheus,
                                     const std::string& promql) {
    auto result = prometheus.query(promql);
    if (!result || result->empty()) return std::nullopt;
    return std::stod((*result)[0]["value"][1].get<std::string>());
  }
};

TEST_F(PrometheusScrapeTest, QueueDepthRisesAndFallsAndDurationsAreRecorded) {
  std::filesystem::create_directories(dir_->path() / "prometheus");
  pop::testing::PrometheusServer prometheus(
      dir_->path() / "prometheus",
      {"127.0.0.1:" + std::to_string(server_->metrics_port().value_or(0))});
  // Scraped every second: wait for the first scrape, so that the queue is seen filling.
  ASSERT_TRUE(pop::testing::eventually([&] { return value(prometheus, R"(up{job="pop"})") == 1.0; },
                                       std::chrono::seconds(20)))
      << prometheus.log();

  constexpr int kAgendas = 4;
  std::vector<std::string> ids;
  for (int i = 0; i < kAgendas; ++i) {
    auto submitted = call("POST", "/v1/agendas", R"({"operations": [{"name": "a", "type": "sample",
        "payload": {"actions": [{"action": "log",
                    "paramsMap": {"logMessage": "busy", "sleepMilliseconds": 800}}]}}]})");
    ASSERT_EQ(submitted.status, 201) << submitted.body;
    ids.push_back(nlohmann::json::parse(submitted.body).value("id", ""));
  }
  for (const std::string& id : ids)
    ASSERT_EQ(wait_for_outcome(id)["processingStateMessage"], "succeeded");

  const std::string depth = "(sum(pop_queue_waiting_agendas) + sum(pop_queue_ready_agendas))";
  // Drained: a scrape after the last completion sees it empty and every duration recorded.
  EXPECT_TRUE(pop::testing::eventually(
      [&] {
        return value(prometheus, R"(pop_agenda_duration_seconds_count{outcome="succeeded"})") ==
                   kAgendas &&
               value(prometheus, depth) == 0.0;
      },
      std::chrono::seconds(20)))
      << prometheus.log();
  // Filled: with one slot, at least two waited together at some scrape.
  EXPECT_GE(value(prometheus, "max_over_time(" + depth + "[1m:1s])").value_or(0), 2.0);
  EXPECT_EQ(value(prometheus, R"(sum(pop_admission_wait_seconds_count))"), kAgendas);
  EXPECT_EQ(value(prometheus, R"(sum(pop_operation_attempts_total{type="sample"}))"), kAgendas);
  EXPECT_GT(
      value(prometheus, R"(sum(pop_operation_duration_seconds_sum{type="sample"}))").value_or(0),
      kAgendas * 0.8);
  // A histogram, as a dashboard reads it.
  EXPECT_TRUE(value(prometheus,
                    "histogram_quantile(0.99, sum by (le) "
                    "(pop_http_request_duration_seconds_bucket{route=\"/v1/agendas\"}))"));
  EXPECT_TRUE(value(prometheus, "process_resident_memory_bytes"));
}

}  // namespace
}  // namespace pop::server
