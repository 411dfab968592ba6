// Test support for the crash tests: a client thread that submits planned agendas one after
// another while servers are killed and restarted under it. A submit cut by a crash (no
// connection, a reset, a 503) is sent again with the same Idempotency-Key, at whatever
// address the server listens on by then, until it is acknowledged with a 201.
// Header-only so it stays out of pop_core.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "e2e/crash_workload.h"
#include "http_client/client.h"

namespace pop::e2e {

// The base URL of the server of the moment, which the test moves on after a restart, and
// the admin token the server wrote in its data directory (kept across restarts). With several
// replicas, each client() goes to the next of their URLs in turn: submits spread over them,
// and one sent again after a failure goes to another replica.
class ServerAddress {
 public:
  ServerAddress(std::string url, std::string token)
      : urls_{std::move(url)}, token_(std::move(token)) {}
  ServerAddress(std::vector<std::string> urls, std::string token)
      : urls_(std::move(urls)), token_(std::move(token)) {}
  std::string get() const {
    std::lock_guard lock(mutex_);
    return urls_[next_++ % urls_.size()];
  }
  const std::string& token() const { return token_; }
  Result<http_client::Client> client() const {
    return http_client::Client::create({.base_url = get(), .bearer_token = token_});
  }
  void set(std::string url) {
    std::lock_guard lock(mutex_);
    urls_ = {std::move(url)};
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> urls_;  // never empty
  mutable std::size_t next_ = 0;
  const std::string token_;
};

struct SubmitStatistics {
  std::size_t resent = 0;    // submits sent again after a transport error or 503
  std::size_t replayed = 0;  // 201s answered with Idempotent-Replayed: true
};

class Submitter {
 public:
  // Starts submitting `plan` in order at once, pausing up to `max_pause` (random, from
  // `seed`) between agendas so that the submits spread over the crashes. Borrows `plan` and
  // `address`, which must outlive the submitter.
  Submitter(const std::vector<PlannedAgenda>& plan, const ServerAddress& address,
            std::chrono::milliseconds max_pause, std::uint64_t seed)
      : plan_(plan), address_(address), thread_([this, max_pause, seed] {
          std::mt19937_64 rng(seed);
          std::uniform_int_distribution<long long> pause(0, max_pause.count());
          for (const auto& agenda : plan_) {
            if (stop_.load() || !submit(agenda)) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(pause(rng)));
          }
        }) {}

  Submitter(const Submitter&) = delete;
  Submitter& operator=(const Submitter&) = delete;
  ~Submitter() {
    stop_.store(true);
    thread_.join();
  }

  // True once every agenda is acknowledged or the submitter gave up.
  bool finished() const {
    std::lock_guard lock(mutex_);
    return failure_ || acknowledged_.size() == plan_.size();
  }

  // Idempotency key -> agenda id of every acknowledged submit so far.
  std::map<std::string, std::string> acknowledged() const {
    std::lock_guard lock(mutex_);
    return acknowledged_;
  }
  // Why the submitter gave up, if it did (an answer other than 201, 503 or no answer).
  std::optional<std::string> failure() const {
    std::lock_guard lock(mutex_);
    return failure_;
  }
  SubmitStatistics statistics() const {
    std::lock_guard lock(mutex_);
    return statistics_;
  }

 private:
  bool submit(const PlannedAgenda& agenda) {
    http_client::Headers headers;
    headers["Idempotency-Key"] = agenda.idempotency_key;
    headers["Content-Type"] = "application/json";
    for (bool first = true; !stop_.load(); first = false) {
      if (!first) {
        std::lock_guard lock(mutex_);
        ++statistics_.resent;
      }
      auto client = address_.client();
      if (!client) return give_up("client: " + client.error().message);
      auto response = client->request("POST", "/v1/agendas", agenda.body, headers);
      if (!response || response->status == 503) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      if (response->status != 201)
        return give_up(agenda.idempotency_key + ": answered " + std::to_string(response->status) +
                       " " + response->body);
      std::lock_guard lock(mutex_);
      if (response->header("Idempotent-Replayed") == "true") ++statistics_.replayed;
      acknowledged_[agenda.idempotency_key] = nlohmann::json::parse(response->body).value("id", "");
      return true;
    }
    return false;
  }

  bool give_up(std::string why) {
    std::lock_guard lock(mutex_);
    failure_ = std::move(why);
    return false;
  }

  const std::vector<PlannedAgenda>& plan_;
  const ServerAddress& address_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::map<std::string, std::string> acknowledged_;
  std::optional<std::string> failure_;
  SubmitStatistics statistics_;
  std::thread thread_;  // last: it starts once everything above is constructed
};

}  // namespace pop::e2e
