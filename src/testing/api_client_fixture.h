// Test support: what a GoogleTest fixture with a POP server needs whichever way the server
// runs (a `pop server` process, testing/pop_server_fixture.h, or the assembly in-process,
// server/server_fixture.h): a temporary directory of the test's own, the admin's HTTP client
// and the calls tests make through it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "http_client/client.h"
#include "testing/subprocess.h"
#include "util/temp_dir.h"

namespace pop::testing {

class ApiClientFixture : public ::testing::Test {
 protected:
  // Runs before the server starts, e.g. to write configuration into data_dir().
  virtual void before_start() {}

  // Creates the test's directory and calls before_start(); subclasses start their server
  // after it, unless it failed fatally.
  void SetUp() override {
    auto dir = TempDir::create("pop-e2e-");
    ASSERT_TRUE(dir.has_value());
    dir_.emplace(std::move(*dir));
    before_start();
  }

  std::filesystem::path data_dir() const { return dir_->path() / "data"; }

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
  std::optional<http_client::Client> client_;  // the admin's
};

}  // namespace pop::testing
