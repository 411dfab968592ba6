// Test support: a Logger that keeps every event, for tests that check what was logged.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "util/logger.h"

namespace pop::testing {

class CapturedLog final : public Logger {
 public:
  struct Event {
    LogLevel level;
    std::string message;
    std::map<std::string, std::string> fields;
  };

  void log(LogLevel level, std::string_view message,
           std::initializer_list<LogField> fields) override {
    Event event{level, std::string(message), {}};
    for (const LogField& field : fields) event.fields[field.key] = field.value;
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }

  std::vector<Event> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }

  // The events whose message is `message`.
  std::vector<Event> with_message(const std::string& message) const {
    std::vector<Event> found;
    for (Event& event : events())
      if (event.message == message) found.push_back(std::move(event));
    return found;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Event> events_;
};

}  // namespace pop::testing
