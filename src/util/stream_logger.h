// The Logger of POP's programs: one line per event on the process's standard streams.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include "util/clock.h"
#include "util/logger.h"
#include "util/result.h"

namespace pop {

enum class LogFormat {
  // "pop server: what happened agenda=ID error="the disk is full"": information on
  // standard output, warnings and errors on standard error, as people read them.
  kText,
  // {"time": "...", "level": "warning", "program": "pop server", "message": "...", "agenda":
  // "ID", ...}: every event on standard error, one object per line, for a log collector.
  kJson,
};

// "text" or "json"; kInvalidArgument naming the accepted values otherwise.
Result<LogFormat> parse_log_format(std::string_view name);
// "debug", "info", "warning" or "error"; kInvalidArgument naming the accepted values otherwise.
Result<LogLevel> parse_log_level(std::string_view name);

class StreamLogger final : public Logger {
 public:
  // `program` ("pop server") starts every text line and is the JSON "program". Events below
  // `minimum` are dropped. Request data in messages and fields is escaped (no forged lines,
  // no terminal controls). Borrows the streams and the clock.
  StreamLogger(std::string program, LogFormat format, LogLevel minimum = LogLevel::kInfo,
               std::FILE* out = stdout, std::FILE* err = stderr,
               const Clock& clock = system_clock());

  void log(LogLevel level, std::string_view message,
           std::initializer_list<LogField> fields) override;
  bool enabled(LogLevel level) const override { return level >= minimum_; }

 private:
  const std::string program_;
  const LogFormat format_;
  const LogLevel minimum_;
  std::FILE* const out_;
  std::FILE* const err_;
  const Clock& clock_;
  std::mutex mutex_;  // one event's line is written whole
};

}  // namespace pop
