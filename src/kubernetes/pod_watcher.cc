#include "kubernetes/pod_watcher.h"

#include <algorithm>
#include <utility>

#include "kubernetes/kube_status.h"
#include "kubernetes/object_fields.h"

namespace pop::kubernetes {

PodWatcher::PodWatcher(KubeClient& client, std::string name_space, std::string label_selector,
                       Options options, Callbacks callbacks)
    : client_(client),
      name_space_(std::move(name_space)),
      label_selector_(std::move(label_selector)),
      options_(options),
      callbacks_(std::move(callbacks)),
      thread_([this] { run(); }) {}

PodWatcher::~PodWatcher() {
  stop_.request_stop();
  thread_.join();
}

PodWatcher::Stats PodWatcher::stats() const {
  return {.lists = lists_.load(), .reconnects = reconnects_.load(), .events = events_.load()};
}

bool PodWatcher::back_off(std::chrono::milliseconds& backoff) {
  if (!stop_.wait_for(*options_.clock, backoff)) return false;
  backoff = std::min(backoff * 2, options_.max_backoff);
  return true;
}

bool PodWatcher::relist(std::string& resource_version) {
  auto backoff = options_.initial_backoff;
  while (!stop_.stop_requested()) {
    const auto started = options_.clock->steady_now();
    auto list = client_.list_pods(name_space_, label_selector_, &stop_);
    if (list) {
      lists_.fetch_add(1);
      resource_version = list->resource_version;
      callbacks_.on_listed(list->items, started);
      return true;
    }
    if (stop_.stop_requested()) return false;
    options_.logger->warning("cannot list the Pods of a namespace",
                             {{"namespace", name_space_}, {"error", list.error().message}});
    if (!back_off(backoff)) return false;
  }
  return false;
}

void PodWatcher::run() {
  std::string resource_version;
  if (!relist(resource_version)) return;
  auto backoff = options_.initial_backoff;
  while (!stop_.stop_requested()) {
    const WatchQuery query{.label_selector = label_selector_,
                           .resource_version = resource_version,
                           .allow_bookmarks = true,
                           .timeout = options_.watch_timeout};
    bool received = false;
    const auto watch_started = options_.clock->steady_now();
    auto watched = client_.watch_pods(
        name_space_, query,
        [&](WatchEvent event) {
          received = true;
          events_.fetch_add(1);
          if (std::string version = metadata_text(event.object, "resourceVersion");
              !version.empty()) {
            resource_version = std::move(version);
          }
          if (event.type != WatchEvent::Type::kBookmark) {
            callbacks_.on_pod(event.object, event.type == WatchEvent::Type::kDeleted);
          }
          return true;
        },
        &stop_);
    if (stop_.stop_requested()) return;
    if (received) backoff = options_.initial_backoff;
    if (watched) {
      // The server's timeout ended it: resume where it left off, at once unless the server
      // ends watches as fast as they start.
      const bool quick = options_.clock->steady_now() - watch_started < std::chrono::seconds(1);
      if (!received && quick && !back_off(backoff)) return;
      continue;
    }
    if (is_expired(watched.error()) || resource_version.empty()) {
      if (!relist(resource_version)) return;
      backoff = options_.initial_backoff;
      continue;
    }
    reconnects_.fetch_add(1);
    if (!back_off(backoff)) return;
  }
}

}  // namespace pop::kubernetes
