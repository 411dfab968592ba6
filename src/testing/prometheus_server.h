// Test support: a private Prometheus (Debian's `prometheus`, 2.42) scraping the given targets
// every second, its configuration and data in a directory of the test's, on a loopback port
// of its own; stopped when it goes. Throws when it does not become ready, so a test that
// needs it stops at once.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "http_client/client.h"
#include "http_client/url.h"
#include "testing/api_client.h"
#include "testing/loopback_socket.h"
#include "testing/subprocess.h"

namespace pop::testing {

class PrometheusServer {
 public:
  static constexpr const char* kBinary = "/usr/bin/prometheus";

  // `targets`: HOST:PORT of each /metrics to scrape (job "pop").
  PrometheusServer(const std::filesystem::path& dir, const std::vector<std::string>& targets) {
    nlohmann::json target_list = targets;
    std::ofstream(dir / "prometheus.yml")
        << "global:\n  scrape_interval: 1s\n"
        << "scrape_configs:\n  - job_name: pop\n"
        << "    static_configs:\n      - targets: " << target_list.dump() << "\n";
    // A port the kernel just gave out and took back: Prometheus cannot be asked for port 0
    // and then tell which it got.
    port_ = LoopbackListener().port();
    process_.emplace(
        std::vector<std::string>{kBinary, "--config.file=" + (dir / "prometheus.yml").string(),
                                 "--storage.tsdb.path=" + (dir / "tsdb").string(),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                 "--log.level=warn"},
        std::map<std::string, std::string>{}, dir.string());
    client_.emplace(api_client(url(), ""));
    if (!eventually(
            [&] {
              auto ready = client_->request("GET", "/-/ready", "", {});
              return (ready && ready->status == 200) || process_gone(process_->pid());
            },
            std::chrono::seconds(30)) ||
        process_gone(process_->pid())) {
      throw std::runtime_error("prometheus did not start: " + process_->stderr_so_far());
    }
  }
  ~PrometheusServer() {
    process_->signal(SIGTERM);
    process_->wait();
  }
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // The result of an instant query (data.result of /api/v1/query): an array of
  // {"metric": {...}, "value": [time, "text"]}; nullopt when Prometheus refused the query.
  std::optional<nlohmann::json> query(const std::string& promql) {
    auto answer = client_->request(
        "GET", "/api/v1/query?query=" + http_client::percent_encode(promql), "", {});
    if (!answer || answer->status != 200) return std::nullopt;
    const nlohmann::json body = nlohmann::json::parse(answer->body, nullptr, false);
    if (!body.is_object() || body.value("status", "") != "success") return std::nullopt;
    return body["data"]["result"];
  }

  std::string log() const { return process_->stderr_so_far(); }

 private:
  std::uint16_t port_ = 0;
  std::optional<Subprocess> process_;
  std::optional<http_client::Client> client_;
};

}  // namespace pop::testing
