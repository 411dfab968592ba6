// Test support: a client of GET /v1/events that reads the stream on a thread of its own and
// keeps every event, so a test can wait for what it expects, then stop reading (closing the
// connection, as a client that goes away does).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "http_client/client.h"
#include "http_client/sse_reader.h"

namespace pop::testing {

class EventStreamReader {
 public:
  // Starts reading `target` (e.g. "/v1/events?agenda=..."), sending `last_event_id` when set.
  EventStreamReader(http_client::Client client, std::string target,
                    std::optional<std::string> last_event_id = std::nullopt)
      : client_(std::move(client)), canceller_(client_.canceller()) {
    http_client::Request request;
    request.method = "GET";
    request.target = std::move(target);
    if (last_event_id) request.headers["Last-Event-ID"] = *last_event_id;
    thread_ = std::thread([this, request = std::move(request)] {
      http_client::SseReader reader([this](const http_client::SseEvent& event) {
        std::lock_guard lock(mutex_);
        events_.push_back(event);
        changed_.notify_all();
        return true;
      });
      auto response = client_.stream(request, [&](std::string_view chunk) {
        const bool more = reader.feed(chunk);
        std::lock_guard lock(mutex_);
        last_id_ = reader.last_id();
        opened_ = true;
        changed_.notify_all();
        return more;
      });
      std::lock_guard lock(mutex_);
      if (response) status_ = response->status;
      if (response && response->status != 200) body_ = response->body;
      ended_ = true;
      changed_.notify_all();
    });
  }
  ~EventStreamReader() { stop(); }
  EventStreamReader(const EventStreamReader&) = delete;
  EventStreamReader& operator=(const EventStreamReader&) = delete;

  // Closes the connection and waits for the reading thread.
  void stop() {
    canceller_.cancel();
    if (thread_.joinable()) thread_.join();
  }

  // Waits until the server started the stream (its first bytes arrived) or it ended.
  bool wait_open(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return opened_ || ended_; }) && opened_;
  }
  // Waits until the events read so far satisfy `done`.
  bool wait_for(const std::function<bool(const std::vector<http_client::SseEvent>&)>& done,
                std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return done(events_); });
  }
  // Waits until the server ended the response (or refused it).
  bool wait_ended(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return ended_; });
  }

  std::vector<http_client::SseEvent> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::string last_id() const {
    std::lock_guard lock(mutex_);
    return last_id_;
  }
  // The status of a refused stream (0 while it runs or when it was cut), and its body.
  int status() const {
    std::lock_guard lock(mutex_);
    return status_;
  }
  std::string body() const {
    std::lock_guard lock(mutex_);
    return body_;
  }

 private:
  http_client::Client client_;
  http_client::Canceller canceller_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<http_client::SseEvent> events_;
  std::string last_id_;
  bool opened_ = false;
  bool ended_ = false;
  int status_ = 0;
  std::string body_;
  std::thread thread_;
};

// The data of each event whose type is not "reset", as JSON.
inline std::vector<nlohmann::json> event_documents(
    const std::vector<http_client::SseEvent>& events) {
  std::vector<nlohmann::json> documents;
  for (const auto& event : events) {
    if (event.type != "reset") documents.push_back(nlohmann::json::parse(event.data));
  }
  return documents;
}

}  // namespace pop::testing
