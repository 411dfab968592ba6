// GET /metrics of an in-process server: open on --metrics-listen, admins only on the API
// port, in a format promtool (Debian's prometheus package) accepts, and showing what the
// server did.
#include "server/server_metrics.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "server/server_fixture.h"
#include "testing/api_client.h"
#include "testing/loopback_socket.h"
#include "testing/promtool.h"
#include "testing/subprocess.h"

namespace pop::server {
namespace {

class ServerMetricsTest : public ServerFixture {
 protected:
  void configure(ServerConfig& config) override {
    config.metrics_export.listen = std::pair<std::string, std::uint16_t>{"127.0.0.1", 0};
    config.embedded_puller.reset();  // the agenda submitted below stays queued
  }

  http_client::Response scrape_open() {
    auto anonymous = pop::testing::api_client(
        "http://127.0.0.1:" + std::to_string(server_->metrics_port().value_or(0)), "");
    auto response = anonymous.request("GET", "/metrics", "", {});
    EXPECT_TRUE(response.has_value());
    return response ? *response : http_client::Response{};
  }

 public:
  // The value of the sample whose line starts with `series` (name and labels as written).
  static std::optional<double> sample(const std::string& text, const std::string& series) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
    }
    return std::nullopt;
  }
};

TEST_F(ServerMetricsTest, OpenOnTheMetricsPortAdminsOnlyOnTheApiPort) {
  ASSERT_TRUE(server_->metrics_port().has_value());
  ASSERT_EQ(
      call("POST", "/v1/agendas", R"({"operations": [{"name": "a", "type": "noop"}]})").status,
      201);
  ASSERT_EQ(call("GET", "/v1/no-such-thing").status, 404);

  auto scraped = scrape_open();
  ASSERT_EQ(scraped.status, 200) << scraped.body;
  EXPECT_EQ(scraped.headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = scraped.body;
  EXPECT_EQ(
      sample(text, R"(pop_http_requests_total{method="POST",route="/v1/agendas",status="201"})"),
      1.0)
      << text;
  // An unknown path is counted without its text.
  EXPECT_EQ(sample(text, R"(pop_http_requests_total{method="GET",route="unmatched",status="404"})"),
            1.0)
      << text;
  EXPECT_EQ(text.find("no-such-thing"), std::string::npos);
  EXPECT_EQ(
      sample(text, R"(pop_http_request_duration_seconds_count{method="POST",route="/v1/agendas"})"),
      1.0)
      << text;
  const auto waiting =
      sample(text, R"(pop_queue_waiting_agendas{pool="default",insight="default"})");
  const auto ready = sample(text, R"(pop_queue_ready_agendas{pool="default",insight="default"})");
  ASSERT_TRUE(waiting && ready) << text;
  EXPECT_EQ(*waiting + *ready, 1.0);
  EXPECT_GE(sample(text, R"(pop_queue_oldest_waiting_seconds{pool="default",insight="default"})")
                .value_or(-1),
            0.0)
      << text;
  EXPECT_EQ(sample(text, R"(pop_scheduler_admissions_total{pool="default",insight="default",)"
                         R"(algorithm="fifo"})"),
            *ready)
      << text;
  // The submit's durable commit, at least.
  EXPECT_GE(
      sample(text, R"(pop_store_commits_total{outcome="committed",store="sqlite"})").value_or(0),
      1.0)
      << text;
  EXPECT_GE(sample(text, R"(pop_store_writes_per_commit_count{store="sqlite"})").value_or(0), 1.0);
  EXPECT_EQ(sample(text, "pop_leases_active"), 0.0) << text;  // no puller took it
  EXPECT_GE(sample(text, "process_open_fds").value_or(0), 3.0);
  EXPECT_GE(sample(text, "process_threads").value_or(0), 2.0);

  // The API port: a credential, and an admin's.
  auto anonymous = client("");
  EXPECT_EQ(anonymous.request("GET", "/metrics", "", {})->status, 401);
  auto issued = call("POST", "/v1/tokens",
                     R"({"role": "member", "customerIds": ["someone"], "description": "m"})");
  ASSERT_EQ(issued.status, 201) << issued.body;
  auto member = client(nlohmann::json::parse(issued.body).value("token", ""));
  auto refused = member.request("GET", "/metrics", "", {});
  EXPECT_EQ(refused->status, 403) << refused->body;
  auto admin = call("GET", "/metrics");
  EXPECT_EQ(admin.status, 200);
  EXPECT_NE(admin.body.find("pop_http_requests_total"), std::string::npos);
}

TEST_F(ServerMetricsTest, PromtoolAcceptsTheExposition) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(call("GET", "/v1/agendas").status, 200);
  const std::string text = scrape_open().body;
  auto checked = pop::testing::promtool_check_metrics(text, dir_->path().string());
  EXPECT_EQ(checked.exit_status, 0) << checked.out << checked.err << "\n" << text;
}

// With the embedded puller: an agenda's way through, as the counters tell it.
class AgendaMetricsTest : public ServerFixture {};

TEST_F(AgendaMetricsTest, SubmittedLeasedAndCompletedAreCounted) {
  auto submitted =
      call("POST", "/v1/agendas", R"({"operations": [{"name": "a", "type": "noop"}]})");
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  const std::string id = nlohmann::json::parse(submitted.body).value("id", "");
  ASSERT_EQ(wait_for_outcome(id)["processingStateMessage"], "succeeded");
  const std::string text = call("GET", "/metrics").body;
  EXPECT_EQ(ServerMetricsTest::sample(text, "pop_agendas_submitted_total"), 1.0) << text;
  EXPECT_EQ(ServerMetricsTest::sample(text, R"(pop_agendas_completed_total{outcome="succeeded"})"),
            1.0)
      << text;
  EXPECT_EQ(
      ServerMetricsTest::sample(text, R"(pop_admission_wait_seconds_count{insight="default"})"),
      1.0)
      << text;
  EXPECT_EQ(ServerMetricsTest::sample(text, "pop_reports_fenced_total"), 0.0) << text;
  EXPECT_EQ(
      ServerMetricsTest::sample(text, R"(pop_agenda_duration_seconds_count{outcome="succeeded"})"),
      1.0)
      << text;
  // The embedded puller's: one attempt and one operation of type noop, succeeded.
  EXPECT_EQ(
      ServerMetricsTest::sample(
          text, R"(pop_operation_attempts_total{outcome="succeeded",runner="local",type="noop"})"),
      1.0)
      << text;
  EXPECT_EQ(ServerMetricsTest::sample(text, R"(pop_operation_duration_seconds_count{)"
                                            R"(outcome="succeeded",runner="local",type="noop"})"),
            1.0)
      << text;
  EXPECT_EQ(ServerMetricsTest::sample(text, R"(pop_puller_capacity{runner="local"})"), 4.0) << text;
  EXPECT_TRUE(ServerMetricsTest::sample(text, R"(pop_puller_slots_in_use{runner="local"})"))
      << text;
  // With every family filled in (histograms with samples, the puller's series), Prometheus'
  // own check still accepts it.
  auto checked = pop::testing::promtool_check_metrics(text, dir_->path().string());
  EXPECT_EQ(checked.exit_status, 0) << checked.out << checked.err << "\n" << text;
}

// --graphite: a listener on loopback receives the documented series, as Graphite's carbon
// would.
class GraphiteTest : public ServerFixture {
 protected:
  void configure(ServerConfig& config) override {
    config.metrics_export.graphite =
        std::pair<std::string, std::uint16_t>{"127.0.0.1", graphite_.port()};
    config.metrics_export.graphite_interval = std::chrono::milliseconds(100);
    config.embedded_puller.reset();
  }
  std::string receive_push() { return graphite_.receive().value_or(""); }

  pop::testing::LoopbackListener graphite_;
};

TEST_F(GraphiteTest, TheDocumentedSeriesArePushed) {
  ASSERT_EQ(call("GET", "/v1/agendas").status, 200);
  // The first push may have gone before the request was answered.
  std::string pushed = receive_push();
  if (pushed.find("pop_http_requests_total;method=GET;route=/v1/agendas;status=200 1 ") ==
      std::string::npos)
    pushed = receive_push();
  EXPECT_NE(pushed.find("pop_http_requests_total;method=GET;route=/v1/agendas;status=200 1 "),
            std::string::npos)
      << pushed;
  EXPECT_NE(pushed.find("pop_queue_ready_agendas;pool=default;insight=default 0 "),
            std::string::npos)
      << pushed;
  EXPECT_NE(pushed.find("pop_store_commits_total;outcome=committed;store=sqlite "),
            std::string::npos)
      << pushed;
  EXPECT_NE(pushed.find("process_open_fds "), std::string::npos) << pushed;
}

}  // namespace
}  // namespace pop::server
