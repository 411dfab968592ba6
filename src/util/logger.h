// Logging as a dependency: library code reports what happened to a Logger it is given,
// never to stderr, so that a server, a test or a future metrics exporter decides where events
// go and can read their fields.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace pop {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

std::string_view log_level_name(LogLevel level);  // "debug", "info", "warning", "error"

// What an event happened to: {"agenda", id}, {"customer", id}, {"correlation_id", id},
// {"error", message}. Keys are snake_case.
struct LogField {
  std::string key;
  std::string value;
};

class Logger {
 public:
  virtual ~Logger() = default;
  // One event: a short sentence saying what happened, without the ids, which go in
  // `fields`. Both may carry request data as it came (paths, names, a handler's words): an
  // implementation that writes lines escapes it (util/text.h, escape_for_log). Thread-safe;
  // never throws.
  virtual void log(LogLevel level, std::string_view message,
                   std::initializer_list<LogField> fields) = 0;

  void info(std::string_view message, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::kInfo, message, fields);
  }
  void warning(std::string_view message, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::kWarning, message, fields);
  }
  void error(std::string_view message, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::kError, message, fields);
  }
  // Whether an event at `level` is written: callers that must build costly fields ask first.
  virtual bool enabled(LogLevel level) const {
    (void)level;
    return true;
  }
};

// Drops every event: for tools and tests that have nowhere to report to.
Logger& null_logger();

}  // namespace pop
