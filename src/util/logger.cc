#include "util/logger.h"

namespace pop {
namespace {

class NullLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view, std::initializer_list<LogField>) override {}
  bool enabled(LogLevel) const override { return false; }
};

}  // namespace

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "error";
}

Logger& null_logger() {
  static NullLogger logger;
  return logger;
}

}  // namespace pop
