// Follows every Pod of one namespace that matches a label selector, with one watch stream:
// list, then watch from the list's resourceVersion; bookmarks and events move the
// resourceVersion on; a watch the server ends, or that breaks, resumes from the last
// resourceVersion seen (after a back-off when it broke); a resourceVersion the server no
// longer has (410 Gone, as the answer or as an ERROR event) means listing again.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "kubernetes/kube_client.h"
#include "kubernetes/stop_signal.h"
#include "util/clock.h"
#include "util/logger.h"

namespace pop::kubernetes {

class PodWatcher {
 public:
  struct Options {
    std::chrono::seconds watch_timeout{300};  // asked of the server per watch request
    std::chrono::milliseconds initial_backoff{250};
    std::chrono::milliseconds max_backoff{10000};
    Logger* logger = &null_logger();  // borrowed: lists that fail
    // Borrowed: when lists start, how quickly a watch ended, the back-off pauses.
    Clock* clock = &system_clock();
  };

  // Called on the watcher's thread, in the order the server reported the changes.
  struct Callbacks {
    // A Pod was added or changed (deleted = false), or is gone (deleted = true).
    std::function<void(const nlohmann::json& pod, bool deleted)> on_pod{};
    // A list replaced what the watch had followed: `pods` is the whole current set, taken
    // by a list that started at `list_started`. Pods missing from it are gone.
    std::function<void(const std::vector<nlohmann::json>& pods,
                       std::chrono::steady_clock::time_point list_started)>
        on_listed{};
  };

  struct Stats {
    std::uint64_t lists = 0;       // the first list and every relist
    std::uint64_t reconnects = 0;  // watches resumed after a break
    std::uint64_t events = 0;      // Pod events and bookmarks received
  };

  // Starts the thread. `client` must outlive the watcher.
  PodWatcher(KubeClient& client, std::string name_space, std::string label_selector,
             Options options, Callbacks callbacks);
  // Ends the stream and joins the thread; no callback runs after it returns.
  ~PodWatcher();
  PodWatcher(const PodWatcher&) = delete;
  PodWatcher& operator=(const PodWatcher&) = delete;

  const std::string& name_space() const { return name_space_; }
  Stats stats() const;

 private:
  void run();
  // Lists and reports; false when stopped. Retries with back-off until it succeeds.
  bool relist(std::string& resource_version);
  // Sleeps the back-off and doubles it; false when stopped meanwhile.
  bool back_off(std::chrono::milliseconds& backoff);

  KubeClient& client_;
  const std::string name_space_;
  const std::string label_selector_;
  const Options options_;
  const Callbacks callbacks_;
  StopSignal stop_;
  std::atomic<std::uint64_t> lists_{0};
  std::atomic<std::uint64_t> reconnects_{0};
  std::atomic<std::uint64_t> events_{0};
  std::thread thread_;  // last: starts once the rest exists
};

}  // namespace pop::kubernetes
