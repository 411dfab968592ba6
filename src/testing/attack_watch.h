// Test support for memory-attack tests against a real server process: while an attack runs,
// samples the process's resident memory (VmRSS) and times GET /healthz, so that the test can
// assert afterwards that memory stayed bounded and the server kept answering. Header-only so
// it stays out of pop_core.
//
// A server that runs away is killed (SIGKILL) once it passes `kill_above_bytes`: a test that
// fails on unfixed code must not take the machine with it.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "http_client/client.h"

namespace pop::testing {

// The resident memory of `pid` in bytes; 0 when it is gone.
inline std::size_t resident_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0)
      return static_cast<std::size_t>(std::atoll(line.c_str() + 6)) * 1024;
  }
  return 0;
}

class AttackWatch {
 public:
  AttackWatch(pid_t pid, const std::string& base_url, std::size_t kill_above_bytes)
      : pid_(pid), kill_above_(kill_above_bytes) {
    http_client::ClientOptions options;
    options.base_url = base_url;
    options.request_timeout = std::chrono::seconds(2);
    auto client = http_client::Client::create(options);
    if (!client) throw std::runtime_error(client.error().message);
    memory_ = std::thread([this] { sample_memory(); });
    health_ = std::thread([this, client = std::move(*client)]() mutable { probe_health(client); });
  }
  ~AttackWatch() { stop(); }
  AttackWatch(const AttackWatch&) = delete;
  AttackWatch& operator=(const AttackWatch&) = delete;

  void stop() {
    stopping_.store(true);
    if (memory_.joinable()) memory_.join();
    if (health_.joinable()) health_.join();
  }

  std::size_t peak_rss_bytes() const { return peak_.load(); }
  bool killed() const { return killed_.load(); }
  // The slowest /healthz answer; a probe that failed or timed out counts as 2 s.
  std::chrono::milliseconds slowest_health_check() const {
    return std::chrono::milliseconds(slowest_ms_.load());
  }
  int health_checks() const { return checks_.load(); }

 private:
  void sample_memory() {
    while (!stopping_.load()) {
      const std::size_t rss = resident_bytes(pid_);
      peak_.store(std::max(peak_.load(), rss));
      if (rss > kill_above_ && !killed_.exchange(true)) ::kill(pid_, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  void probe_health(http_client::Client& client) {
    while (!stopping_.load()) {
      const auto start = std::chrono::steady_clock::now();
      auto response = client.request("GET", "/healthz");
      auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
      if (!response || response->status != 200) took = 2000;
      slowest_ms_.store(std::max<long long>(slowest_ms_.load(), took));
      ++checks_;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  const pid_t pid_;
  const std::size_t kill_above_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> killed_{false};
  std::atomic<std::size_t> peak_{0};
  std::atomic<long long> slowest_ms_{0};
  std::atomic<int> checks_{0};
  std::thread memory_;
  std::thread health_;
};

}  // namespace pop::testing
