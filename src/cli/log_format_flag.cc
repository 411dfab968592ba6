#include "cli/log_format_flag.h"

namespace pop::cli {

void add_log_format_flag(CLI::App& command, LogFormat& format) {
  command
      .add_option_function<std::string>(
          "--log-format", [&format](const std::string& name) { format = *parse_log_format(name); },
          "text (lines for people) or json (one object per line, on standard error)")
      ->default_str("text")
      ->check([](const std::string& name) {
        auto parsed = parse_log_format(name);
        return parsed ? std::string() : parsed.error().message;
      });
}

}  // namespace pop::cli
