#include "util/process_identity.h"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace pop {
namespace {

// Field 22 of /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself
// hold spaces and parentheses, so counting starts after its last ')'.
std::optional<std::uint64_t> start_ticks_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  const std::string stat = text.str();
  const std::size_t name_end = stat.rfind(')');
  if (name_end == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(name_end + 1));
  std::string field;
  for (int index = 3; index <= 22; ++index) {
    if (!(fields >> field)) return std::nullopt;
  }
  std::uint64_t ticks = 0;
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), ticks);
  if (error != std::errc() || end != field.data() + field.size()) return std::nullopt;
  return ticks;
}

template <typename Number>
bool parse_number(std::string_view text, Number& number) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  return !text.empty() && error == std::errc() && end == text.data() + text.size();
}

}  // namespace

ProcessIdentity ProcessIdentity::self() {
  const pid_t pid = ::getpid();
  return {pid, start_ticks_of(pid).value_or(0)};
}

std::optional<ProcessIdentity> ProcessIdentity::of(pid_t pid) {
  const auto ticks = start_ticks_of(pid);
  if (!ticks) return std::nullopt;
  return ProcessIdentity{pid, *ticks};
}

std::optional<ProcessIdentity> ProcessIdentity::parse(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  ProcessIdentity identity;
  if (!parse_number(text.substr(0, colon), identity.pid) || identity.pid <= 0 ||
      !parse_number(text.substr(colon + 1), identity.start_ticks))
    return std::nullopt;
  return identity;
}

std::string ProcessIdentity::text() const {
  return std::to_string(pid) + ":" + std::to_string(start_ticks);
}

bool ProcessIdentity::alive() const {
  const auto ticks = start_ticks_of(pid);
  return ticks && *ticks == start_ticks;
}

}  // namespace pop
