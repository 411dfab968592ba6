// A real Prometheus 2.42 scraping a real server's --metrics-listen port: what an operator
// sets up first. The exposition must be taken whole (a format error fails the scrape: `up`
// would be 0) and the documented series must be queryable, histograms included.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "server/server_fixture.h"
#include "testing/prometheus_server.h"
#include "testing/subprocess.h"

namespace pop::server {
namespace {

class PrometheusScrapeTest : public ServerFixture {
 protected:
  void configure(ServerConfig& config) override {
    config.metrics_export.listen = std::pair<std::string, std::uint16_t>{"127.0.0.1", 0};
  }

  // The value of the query's first sample, when it has one.
  static std::optional<double> value(pop::testing::PrometheusServer& prometheus,
                                     const std::string& promql) {
    auto result = prometheus.query(promql);
    if (!result || result->empty()) return std::nullopt;
    return std::stod((*result)[0]["value"][1].get<std::string>());
  }
};

TEST_F(PrometheusScrapeTest, TheDocumentedSeriesReachPrometheus) {
  auto submitted =
      call("POST", "/v1/agendas", R"({"operations": [{"name": "a", "type": "noop"}]})");
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  ASSERT_EQ(wait_for_outcome(
                nlohmann::json::parse(submitted.body).value("id", ""))["processingStateMessage"],
            "succeeded");

  std::filesystem::create_directories(dir_->path() / "prometheus");
  pop::testing::PrometheusServer prometheus(
      dir_->path() / "prometheus",
      {"127.0.0.1:" + std::to_string(server_->metrics_port().value_or(0))});
  // Scraped every second; a sample appears after the first scrape.
  EXPECT_TRUE(pop::testing::eventually(
      [&] {
        return value(prometheus, R"(pop_agendas_completed_total{outcome="succeeded"})").has_value();
      },
      std::chrono::seconds(20)))
      << prometheus.log();
  EXPECT_EQ(value(prometheus, R"(up{job="pop"})"), 1.0) << prometheus.log();
  EXPECT_EQ(value(prometheus, R"(pop_agendas_completed_total{outcome="succeeded"})"), 1.0);
  EXPECT_EQ(value(prometheus, R"(sum(pop_operation_attempts_total{type="noop"}))"), 1.0);
  EXPECT_TRUE(value(prometheus, R"(pop_queue_oldest_waiting_seconds{pool="default"})"));
  // A histogram, as a dashboard reads it.
  EXPECT_TRUE(value(prometheus,
                    "histogram_quantile(0.99, sum by (le) "
                    "(pop_http_request_duration_seconds_bucket{route=\"/v1/agendas\"}))"));
  EXPECT_TRUE(value(prometheus, "process_resident_memory_bytes"));
}

}  // namespace
}  // namespace pop::server
