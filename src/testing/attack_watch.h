// Test support for attacks on a real server process: while an attack runs, samples the
// process's resident memory (VmRSS) and times GET /healthz, and afterwards holds the server
// to one rule for every attack test (expect_held). Header-only so it stays out of pop_core.
//
// A server that runs away is killed (SIGKILL) once it passes `kill_above_bytes`: a test that
// fails on unfixed code must not take the machine with it, and its attackers see the server
// gone and stop.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>

#include "http/test_http_client.h"
#include "testing/process_stats.h"

namespace pop::testing {

// What an AttackWatch saw.
struct AttackRecord {
  std::size_t peak_rss_bytes = 0;
  bool killed = false;  // past kill_above_bytes
  int health_checks = 0;
  int failed_health_checks = 0;  // no 200 within kHealthTimeout
  int slow_health_checks = 0;    // a 200 after more than kHealthLatency
  std::chrono::milliseconds slowest_health_check{0};
};

class AttackWatch {
 public:
  // A /healthz answer is due within this...
  static constexpr std::chrono::milliseconds kHealthLatency{1000};
  // ... and one that has not come by this counts as failed.
  static constexpr std::chrono::milliseconds kHealthTimeout{3000};

  // Watches process `pid`, which serves HTTP on 127.0.0.1:`port`. The probes come from
  // 127.0.0.3, a bystander: the attackers' own address may be at its connection cap.
  AttackWatch(pid_t pid, std::uint16_t port, std::size_t kill_above_bytes)
      : pid_(pid), port_(port), kill_above_(kill_above_bytes) {
    memory_ = std::thread([this] { sample_memory(); });
    health_ = std::thread([this] { probe_health(); });
  }
  ~AttackWatch() { stop(); }
  AttackWatch(const AttackWatch&) = delete;
  AttackWatch& operator=(const AttackWatch&) = delete;

  // Ends the watch (idempotent) and returns what it saw.
  AttackRecord stop() {
    stopping_.store(true);
    if (memory_.joinable()) memory_.join();
    if (health_.joinable()) health_.join();
    return record_;
  }

  // Whether the server was killed for passing kill_above_bytes. Thread-safe: attackers use
  // it to give up early.
  bool killed() const { return killed_.load(); }

 private:
  void sample_memory() {
    while (!stopping_.load()) {
      const std::size_t rss = resident_bytes(pid_);
      record_.peak_rss_bytes = std::max(record_.peak_rss_bytes, rss);
      if (rss > kill_above_ && !killed_.exchange(true)) {
        ::kill(pid_, SIGKILL);
        record_.killed = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  void probe_health() {
    while (!stopping_.load()) {
      const auto began = std::chrono::steady_clock::now();
      http::testing::TestClient probe;
      const bool sent = probe.connect(port_, "127.0.0.3") &&
                        probe.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
      auto response = sent ? probe.read_response(kHealthTimeout) : std::nullopt;
      const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - began);
      ++record_.health_checks;
      if (!response || response->status != 200) {
        ++record_.failed_health_checks;
      } else if (took > kHealthLatency) {
        ++record_.slow_health_checks;
      }
      record_.slowest_health_check = std::max(record_.slowest_health_check, took);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  const pid_t pid_;
  const std::uint16_t port_;
  const std::size_t kill_above_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> killed_{false};
  // Each thread writes its own fields; read by stop() after both are joined.
  AttackRecord record_;
  std::thread memory_;
  std::thread health_;
};

// The rule for a server under attack: it was not killed, its resident memory stayed below
// `max_rss_bytes`, and /healthz answered every probe, within AttackWatch::kHealthLatency but
// for one in ten at most (on a machine shared with other builds a probe is sometimes not
// scheduled for a while).
inline void expect_held(const AttackRecord& seen, std::size_t max_rss_bytes) {
  EXPECT_FALSE(seen.killed) << "the server passed its memory bound and was killed";
  EXPECT_LT(seen.peak_rss_bytes, max_rss_bytes)
      << "server resident memory reached " << (seen.peak_rss_bytes >> 20) << " MiB";
  EXPECT_GT(seen.health_checks, 0);
  EXPECT_EQ(seen.failed_health_checks, 0) << "of " << seen.health_checks << " /healthz probes";
  EXPECT_LE(seen.slow_health_checks * 10, seen.health_checks)
      << seen.slow_health_checks << " of " << seen.health_checks
      << " /healthz probes took over a second, the slowest " << seen.slowest_health_check.count()
      << " ms";
}

}  // namespace pop::testing
