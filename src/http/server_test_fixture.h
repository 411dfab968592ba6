// Test support shared by the server's tests: a fixture that runs a real Server on
// 127.0.0.1 port 0 with captured logs, and a parking lot for asynchronous handlers that
// tests complete themselves. Header-only so it stays out of pop_core.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http/error_response.h"
#include "http/router.h"
#include "http/server.h"
#include "http/test_http_client.h"
#include "testing/captured_log.h"

namespace pop::http::testing {

// Keeps the responders of requests that a test will answer later, from its own thread.
class ParkingLot {
 public:
  struct Parked {
    HttpRequest request;
    Responder responder;
  };

  Handler handler() {
    return [this](HttpRequest request, Responder responder) {
      std::lock_guard lock(mu_);
      parked_.push_back(Parked{std::move(request), std::move(responder)});
      changed_.notify_all();
    };
  }

  // Waits until `count` requests have been parked in total; false on timeout.
  bool wait_for(std::size_t count, std::chrono::seconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return parked_.size() >= count; });
  }

  Parked& at(std::size_t i) {
    std::lock_guard lock(mu_);
    return parked_.at(i);
  }

  std::size_t size() {
    std::lock_guard lock(mu_);
    return parked_.size();
  }

  // Drops every responder (the server answers 500 for those never used).
  void clear() {
    std::vector<Parked> dropped;
    std::lock_guard lock(mu_);
    dropped.swap(parked_);
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<Parked> parked_;
};

// Waits for a condition signalled from server threads.
class Signal {
 public:
  void notify() {
    std::lock_guard lock(mu_);
    ++count_;
    cv_.notify_all();
  }
  bool wait(int count = 1, std::chrono::seconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return count_ >= count; });
  }
  int count() {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

class ServerTest : public ::testing::Test {
 protected:
  // Options every test starts from: ephemeral port, logs captured instead of printed.
  ServerOptions test_options() {
    ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.logger = &log_;
    return options;
  }

  void start(const Router& router, ServerOptions options) {
    server_ = std::make_unique<Server>(std::move(options), router.to_handler());
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error().message;
    ASSERT_NE(server_->port(), 0);
  }
  void start(const Router& router) { start(router, test_options()); }

  // As `pop server` runs: each request is decided on from its head through the router
  // (route, gate, body limit) before its body is read.
  void start_admitting(const Router& router, ServerOptions options) {
    server_ = std::make_unique<Server>(std::move(options), router.to_admitter());
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error().message;
    ASSERT_NE(server_->port(), 0);
  }

  std::unique_ptr<TestClient> connect_from(const char* source) {
    auto client = std::make_unique<TestClient>();
    EXPECT_TRUE(client->connect(server_->port(), source)) << client->error();
    return client;
  }

  std::unique_ptr<TestClient> connect() {
    auto client = std::make_unique<TestClient>();
    EXPECT_TRUE(client->connect(server_->port())) << client->error();
    return client;
  }

  // One request on a fresh connection.
  std::optional<ClientResponse> round_trip(const std::string& request) {
    auto client = connect();
    if (!client->send(request)) return std::nullopt;
    return client->read_response();
  }

  std::string all_logs() const {
    std::string text;
    for (const auto& event : log_.events()) text += event.message + "\n";
    return text;
  }

  static Json body_json(const ClientResponse& response) {
    return Json::parse(response.body, nullptr, false);
  }

  // Checks the error shape and returns its "error" object.
  static Json expect_error_shape(const ClientResponse& response, std::string_view code) {
    const Json body = body_json(response);
    EXPECT_TRUE(body.is_object()) << response.body;
    const Json error = body.value("error", Json::object());
    EXPECT_EQ(error.value("code", ""), code) << response.body;
    EXPECT_TRUE(error.contains("message")) << response.body;
    EXPECT_TRUE(error.value("details", Json()).is_array()) << response.body;
    auto header_id = response.headers.get("X-Correlation-Id");
    EXPECT_TRUE(header_id.has_value());
    EXPECT_EQ(error.value("correlationId", ""), std::string(header_id.value_or("")))
        << response.body;
    return error;
  }

  // Members are destroyed in reverse order: the server stops before the lot and the logs
  // its handlers use go away.
  ParkingLot lot_;
  pop::testing::CapturedLog log_;
  std::unique_ptr<Server> server_;
};

}  // namespace pop::http::testing
