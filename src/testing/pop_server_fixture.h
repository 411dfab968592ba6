// Test support: a GoogleTest fixture with a real `pop server` (testing/pop_server.h) per
// test, in a temporary directory of its own, and an HTTP client for it. Subclasses choose
// the server's arguments and may prepare its data directory before it starts.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "http_client/client.h"
#include "testing/pop_server.h"
#include "util/temp_dir.h"

namespace pop::testing {

class PopServerFixture : public ::testing::Test {
 protected:
  virtual std::vector<std::string> server_arguments() const { return {"--lease-seconds", "5"}; }
  // Runs before the server starts, e.g. to write configuration into data_dir().
  virtual void before_start() {}

  void SetUp() override {
    auto dir = TempDir::create("pop-e2e-");
    ASSERT_TRUE(dir.has_value());
    dir_.emplace(std::move(*dir));
    before_start();
    if (HasFatalFailure()) return;
    // DIR lets handler commands in a test's registry find the test's directory.
    server_.emplace(data_dir().string(), dir_->path().string(), server_arguments(),
                    std::map<std::string, std::string>{{"DIR", dir_->path().string()}});
    base_url_ = server_->base_url();
    client_.emplace(server_->client());
  }

  void TearDown() override {
    if (server_) {
      auto result = server_->stop();
      EXPECT_EQ(result.exit_status, 0) << result.err;
    }
  }

  std::filesystem::path data_dir() const { return dir_->path() / "data"; }
  // The server's port (of base_url_), for tests that open their own sockets to it.
  std::uint16_t port() const { return server_->port(); }

  // The environment of a CLI run that finds the server's admin token by itself, as on the
  // server's own machine (<POP_DATA>/admin.token).
  std::map<std::string, std::string> cli_environment() const {
    return {{"POP_DATA", data_dir().string()}};
  }

  // A new API token for a puller of `pool`, issued by the admin.
  std::string puller_token(const std::string& pool) {
    auto issued = call("POST", "/v1/tokens",
                       nlohmann::json{{"role", "puller"}, {"resourcePoolId", pool}}.dump());
    EXPECT_EQ(issued.status, 201) << issued.body;
    return nlohmann::json::parse(issued.body, nullptr, false).value("token", "");
  }

  http_client::Response call(const std::string& method, const std::string& target,
                             const std::string& body = "", http_client::Headers headers = {}) {
    auto response = client_->request(method, target, body, headers);
    EXPECT_TRUE(response.has_value()) << (response ? "" : response.error().message);
    return response ? *response : http_client::Response{};
  }

  // The agenda's progress once COMPLETE (or the last one read after 30 s).
  nlohmann::json wait_for_outcome(const std::string& id) {
    nlohmann::json progress;
    eventually(
        [&] {
          progress = nlohmann::json::parse(call("GET", "/v1/agendas/" + id + "/progress").body);
          return progress["processingState"] == "COMPLETE";
        },
        std::chrono::seconds(30));
    return progress;
  }

  std::optional<TempDir> dir_;
  std::string base_url_;
  std::optional<PopServer> server_;
  std::optional<http_client::Client> client_;
};

}  // namespace pop::testing
