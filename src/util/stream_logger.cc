#include "util/stream_logger.h"

#include <nlohmann/json.hpp>

#include "util/text.h"

namespace pop {
namespace {

// A logfmt value: bare when it is one plain word, else quoted with \" and \\ escaped.
std::string text_value(std::string_view value) {
  const std::string escaped = escape_for_log(value);
  if (!escaped.empty() && escaped.find_first_of(" \"=") == std::string::npos) return escaped;
  std::string quoted = "\"";
  for (char c : escaped) {
    if (c == '"') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

Result<LogFormat> parse_log_format(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return fail(ErrorCode::kInvalidArgument,
              "the log format must be text or json, not \"" + escape_for_log(name) + "\"");
}

Result<LogLevel> parse_log_level(std::string_view name) {
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError})
    if (name == log_level_name(level)) return level;
  return fail(
      ErrorCode::kInvalidArgument,
      "the log level must be debug, info, warning or error, not \"" + escape_for_log(name) + "\"");
}

StreamLogger::StreamLogger(std::string program, LogFormat format, LogLevel minimum, std::FILE* out,
                           std::FILE* err, const Clock& clock)
    : program_(std::move(program)),
      format_(format),
      minimum_(minimum),
      out_(out),
      err_(err),
      clock_(clock) {}

void StreamLogger::log(LogLevel level, std::string_view message,
                       std::initializer_list<LogField> fields) try {
  if (level < minimum_) return;
  std::string line;
  std::FILE* stream = err_;
  if (format_ == LogFormat::kJson) {
    nlohmann::json event = {{"time", format_time(clock_.now())},
                            {"level", log_level_name(level)},
                            {"program", program_},
                            {"message", message}};
    for (const LogField& field : fields) event[field.key] = field.value;
    line = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    if (level < LogLevel::kWarning) stream = out_;
    line = program_ + ": " + escape_for_log(message);
    for (const LogField& field : fields) line += " " + field.key + "=" + text_value(field.value);
  }
  line += '\n';
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), stream);
  std::fflush(stream);
} catch (...) {
  // Out of memory for the line: the event is lost, the caller carries on (the contract).
}

}  // namespace pop
