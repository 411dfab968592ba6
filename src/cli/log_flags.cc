#include "cli/log_flags.h"

namespace pop::cli {

void add_log_flags(CLI::App& command, LogSettings& settings) {
  command
      .add_option_function<std::string>(
          "--log-format",
          [&settings](const std::string& name) { settings.format = *parse_log_format(name); },
          "text (lines for people) or json (one object per line, on standard error)")
      ->default_str("text")
      ->check([](const std::string& name) {
        auto parsed = parse_log_format(name);
        return parsed ? std::string() : parsed.error().message;
      });
  command
      .add_option_function<std::string>(
          "--log-level",
          [&settings](const std::string& name) { settings.level = *parse_log_level(name); },
          "The least severe events logged: debug, info, warning or error")
      ->default_str("info")
      ->check([](const std::string& name) {
        auto parsed = parse_log_level(name);
        return parsed ? std::string() : parsed.error().message;
      });
}

}  // namespace pop::cli
