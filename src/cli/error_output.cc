#include "cli/error_output.h"

#include <cstdio>
#include <string>

namespace pop::cli {

int print_error(std::string_view command, std::string_view context, const Error& error,
                int exit_status) {
  const std::string prefix = context.empty() ? std::string() : std::string(context) + ": ";
  std::fprintf(stderr, "pop %.*s: %s%s\n", static_cast<int>(command.size()), command.data(),
               prefix.c_str(), error.message.c_str());
  for (const auto& detail : error.details) std::fprintf(stderr, "%s\n", detail.c_str());
  return exit_status;
}

}  // namespace pop::cli
