// Test support shared by the tests that run real containers and Pods (*_container_test.cc):
// where the private engine is, and the pieces of sample agendas and progress documents they
// all build and read.
#pragma once

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

namespace pop::testing {

// The engine ctest starts for these tests (compiled in), unless the environment names
// another: POP_TEST_DOCKER_HOST=unix:///path/docker.sock.
inline std::string test_docker_host() {
  const char* host = std::getenv("POP_TEST_DOCKER_HOST");
  return host != nullptr ? host : POP_TEST_DOCKER_HOST;
}

// A `sample` handler action that logs `message`, then sleeps, reporting progress.
inline nlohmann::json sample_log_action(const std::string& message, int sleep_ms) {
  return {{"action", "log"},
          {"paramsMap", {{"logMessage", message}, {"sleepMilliseconds", sleep_ms}}}};
}

// The entry of operation `name` in an agenda's progress document, or nullptr.
inline const nlohmann::json* operation_progress(const nlohmann::json& progress,
                                                const std::string& name) {
  for (const auto& operation : progress["operationProgress"]) {
    if (operation["operation"] == name) return &operation;
  }
  return nullptr;
}

}  // namespace pop::testing
