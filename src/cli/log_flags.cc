#include "cli/log_flags.h"

#include <string>
#include <string_view>

namespace pop::cli {
namespace {

// An option whose value is one of the names `parse` accepts; its refusal names them.
template <typename Value>
void add_named_option(CLI::App& command, const std::string& flag, Value& target,
                      Result<Value> (*parse)(std::string_view), const std::string& help,
                      const std::string& default_name) {
  command
      .add_option_function<std::string>(
          flag, [&target, parse](const std::string& name) { target = *parse(name); }, help)
      ->default_str(default_name)
      ->check([parse](const std::string& name) {
        auto parsed = parse(name);
        return parsed ? std::string() : parsed.error().message;
      });
}

}  // namespace

void add_log_flags(CLI::App& command, LogSettings& settings) {
  add_named_option(command, "--log-format", settings.format, &parse_log_format,
                   "text (lines for people) or json (one object per line, on standard error)",
                   "text");
  add_named_option(command, "--log-level", settings.level, &parse_log_level,
                   "The least severe events logged: debug, info, warning or error", "info");
}

}  // namespace pop::cli
