// A RunListener for runner tests: records every call and lets the test wait for them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runner/runner.h"

namespace pop::testing {

// Generous: the suites run under sanitizers on a shared machine.
inline constexpr std::chrono::seconds kWait{30};

class RecordingListener : public RunListener {
 public:
  void on_running() override {
    std::lock_guard lock(mutex_);
    ++running_count_;
  }
  void on_progress(double percent_complete, const std::string& message) override {
    std::lock_guard lock(mutex_);
    progress_.emplace_back(percent_complete, message);
    changed_.notify_all();
  }
  void on_finished(HandlerResult result) override {
    std::lock_guard lock(mutex_);
    ++finished_count_;
    result_ = std::move(result);
    changed_.notify_all();
  }

  std::optional<HandlerResult> wait_finished() {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, kWait, [&] { return finished_count_ > 0; })) return std::nullopt;
    return result_;
  }
  bool wait_progress(std::size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kWait, [&] { return progress_.size() >= count; });
  }
  std::vector<std::pair<double, std::string>> progress() {
    std::lock_guard lock(mutex_);
    return progress_;
  }
  int finished_count() {
    std::lock_guard lock(mutex_);
    return finished_count_;
  }
  int running_count() {
    std::lock_guard lock(mutex_);
    return running_count_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::pair<double, std::string>> progress_;
  int finished_count_ = 0;
  int running_count_ = 0;
  HandlerResult result_;
};

}  // namespace pop::testing
