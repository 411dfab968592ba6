// A server with its observability turned off (`pop server --no-metrics --event-window 0
// --attempt-log-limit-bytes 0`, the "off" side of bench_server's cost comparison): agendas run
// as ever, the routes of what is off say so, no attempt log is kept and no agenda change is
// logged.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "server/server_fixture.h"

namespace pop::server {
namespace {

class ObservabilityOffTest : public ServerFixture {
 protected:
  void configure(ServerConfig& config) override {
    config.keep_metrics = false;
    config.event_window = 0;
    config.attempt_logs.limit_bytes = 0;
  }

  std::string message_of(const http_client::Response& response) {
    return nlohmann::json::parse(response.body, nullptr, false)
        .value("error", nlohmann::json::object())
        .value("message", "");
  }
};

TEST_F(ObservabilityOffTest, AgendasRunAndWhatIsOffSaysSo) {
  auto submitted =
      call("POST", "/v1/agendas",
           R"({"operations": [{"name": "a", "type": "sample", "payload": {"resultPayload": 7}}]})");
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  const std::string id = nlohmann::json::parse(submitted.body).value("id", "");
  const auto progress = wait_for_outcome(id);
  EXPECT_EQ(progress["processingStateMessage"], "succeeded") << progress.dump();
  EXPECT_EQ(progress["operationProgress"][0]["resultPayload"], 7);

  const auto metrics = call("GET", "/metrics");
  EXPECT_EQ(metrics.status, 404);
  EXPECT_NE(message_of(metrics).find("--no-metrics"), std::string::npos) << metrics.body;
  const auto events = call("GET", "/v1/events");
  EXPECT_EQ(events.status, 404);
  EXPECT_NE(message_of(events).find("--event-window 0"), std::string::npos) << events.body;
  const auto log = call("GET", "/v1/agendas/" + id + "/operations/a/logs");
  EXPECT_EQ(log.status, 404) << "no log is shipped, so none is stored: " << log.body;
  EXPECT_EQ(log_text().find("agenda.completed"), std::string::npos) << log_text();
}

// Exporting metrics that are not kept is a configuration that cannot work: refused before
// anything is opened.
TEST_F(ObservabilityOffTest, ExportingMetricsThatAreNotKeptIsRefused) {
  ServerConfig config;
  config.data_directory = dir_->path() / "other";
  config.keep_metrics = false;
  config.metrics_export.listen = std::pair<std::string, std::uint16_t>("127.0.0.1", 0);
  auto started = Server::start(std::move(config));
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(started.error().message.find("--no-metrics"), std::string::npos)
      << started.error().message;
}

}  // namespace
}  // namespace pop::server
