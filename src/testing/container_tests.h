// Test support shared by the tests that run real containers and Pods (*_container_test.cc):
// where the private engine is, the handlers they register, and the pieces of sample agendas
// and progress documents they all build and read.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "http_client/client.h"
#include "http_client/test_server.h"

namespace pop::testing {

// The engine ctest starts for these tests (compiled in), unless the environment names
// another: POP_TEST_DOCKER_HOST=unix:///path/docker.sock.
inline std::string test_docker_host() {
  const char* host = std::getenv("POP_TEST_DOCKER_HOST");
  return host != nullptr ? host : POP_TEST_DOCKER_HOST;
}

// Fails the tests of this process before the first one starts when the engine does not
// answer within a few seconds: a hung engine (alive, its socket accepting, no answer) would
// otherwise make every test wait out its own timeout. /_ping is dockerd's alone; /version
// asks its containerd too.
class EngineAnswers : public ::testing::Environment {
 public:
  void SetUp() override {
    const std::string host = test_docker_host();
    http_client::ClientOptions options;
    options.base_url = "http://docker";
    options.unix_socket = host.starts_with("unix://") ? host.substr(7) : host;
    options.connect_timeout = kWait;
    options.request_timeout = kWait;
    auto client = http_client::Client::create(std::move(options));
    ASSERT_TRUE(client.has_value()) << client.error().message;
    for (const char* target : {"/_ping", "/version"}) {
      auto answer = client->request("GET", target);
      ASSERT_TRUE(answer.has_value() && answer->ok())
          << "the container engine at " << host << " does not answer GET " << target << " within "
          << kWait.count() << " ms ("
          << (answer ? "status " + std::to_string(answer->status) : answer.error().message)
          << "): it is hung or gone, so no container test can pass; "
             "src/testing/container_engine.sh stop and start give a new one";
    }
  }

 private:
  static constexpr std::chrono::milliseconds kWait{5000};
};

// Registered by including this header: every container test binary checks its engine.
inline ::testing::Environment* const engine_answers =
    ::testing::AddGlobalTestEnvironment(new EngineAnswers);

// A `sample` handler action that logs `message`, then sleeps, reporting progress.
inline nlohmann::json sample_log_action(const std::string& message, int sleep_ms) {
  return {{"action", "log"},
          {"paramsMap", {{"logMessage", message}, {"sleepMilliseconds", sleep_ms}}}};
}

// The command of a handler (sh in the handler image) that shows how it is stopped: it asks
// http://127.0.0.1:`port`/started/<agenda id> once running, and on SIGTERM takes a second
// to clean up, then asks .../sigterm/<agenda id> and exits 0; a SIGKILL before that second
// is over leaves no trace. Containers and the simulator's Pods share the host's network, so
// a test's server on loopback hears it.
inline nlohmann::json sigterm_reporting_command(int port) {
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  return {"sh", "-c",
          "trap 'sleep 1; wget -q -O /dev/null " + url +
              "/sigterm/$POP_AGENDA_ID; exit 0' TERM; wget -q -O /dev/null " + url +
              "/started/$POP_AGENDA_ID; while true; do sleep 0.1; done"};
}

// The handlers of the container tests' registry (--handlers), and the loopback server that
// their "polite" handler tells how it is stopped:
//   ghost:  an image the engine does not have and cannot pull (no network here);
//   polite: the handler image running sigterm_reporting_command(), with 30 s of grace.
class ContainerTestHandlers {
 public:
  // Listens on 127.0.0.1, a port the kernel picks; nullptr when it cannot.
  static std::unique_ptr<ContainerTestHandlers> start() {
    auto server = http_client::testing::TestServer::start_tcp(
        [](const http_client::testing::ReceivedRequest&, http_client::testing::Connection& peer) {
          peer.respond(200, "");
          peer.close_after();
        });
    if (server == nullptr) return nullptr;
    return std::unique_ptr<ContainerTestHandlers>(new ContainerTestHandlers(std::move(server)));
  }

  // The handler registry document, as --handlers reads it.
  nlohmann::json registry() const {
    return {
        {"handlers",
         {{"ghost", {{"command", {"pop", "handler", "sample"}}, {"image", "pop-test/ghost:404"}}},
          {"polite",
           {{"command", sigterm_reporting_command(server_->port())},
            {"image", "pop:local"},
            {"terminationGraceSeconds", 30}}}}}};
  }

  // Whether the handler of agenda `id` asked for `what` ("started", "sigterm").
  bool heard(const std::string& what, const std::string& id) const {
    for (const auto& request : server_->requests()) {
      if (request.target == "/" + what + "/" + id) return true;
    }
    return false;
  }

 private:
  explicit ContainerTestHandlers(std::unique_ptr<http_client::testing::TestServer> server)
      : server_(std::move(server)) {}

  std::unique_ptr<http_client::testing::TestServer> server_;
};

// The entry of operation `name` in an agenda's progress document, or nullptr.
inline const nlohmann::json* operation_progress(const nlohmann::json& progress,
                                                const std::string& name) {
  for (const auto& operation : progress["operationProgress"]) {
    if (operation["operation"] == name) return &operation;
  }
  return nullptr;
}

// The diamond agenda of sample handlers: probe, then thumbnail and transcode (which works
// for `transcode_ms`), then publish, whose result is diamond_result() when every reference
// between them resolved.
inline nlohmann::json diamond_agenda(int transcode_ms) {
  using nlohmann::json;
  const auto step = [](const char* name, json actions, json result) {
    return json{
        {"name", name},
        {"type", "sample"},
        {"payload", {{"actions", std::move(actions)}, {"resultPayload", std::move(result)}}}};
  };
  return {{"title", "diamond"},
          {"operations",
           {step("probe", {sample_log_action("probing", 200)},
                 {{"durationSeconds", 5400}, {"path", "/media/in.mp4"}}),
            step("thumbnail", json::array(), {{"thumbnail", "@<probe.out::path>.jpg"}}),
            step("transcode", {sample_log_action("transcoding", transcode_ms)},
                 {{"seconds", "@<probe.out::/durationSeconds>"}}),
            step("publish", json::array(),
                 {{"video", "@<transcode.out>"}, {"image", "@<thumbnail.out::thumbnail>"}})}}};
}

inline nlohmann::json diamond_result() {
  return {{"video", {{"seconds", 5400}}}, {"image", "/media/in.mp4.jpg"}};
}

}  // namespace pop::testing
