// A process as this host's kernel knows it: its pid and its start time (clock ticks since
// boot, field 22 of /proc/<pid>/stat). The pair names one process for the host's uptime, so a
// label holding it tells a later process whether the one that wrote it still runs, even
// after its pid was reused.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pop {

struct ProcessIdentity {
  pid_t pid = 0;
  std::uint64_t start_ticks = 0;

  // The calling process.
  static ProcessIdentity self();
  // Process `pid` as it is now; nullopt when there is none.
  static std::optional<ProcessIdentity> of(pid_t pid);
  // "<pid>:<start_ticks>", as text() writes it; nullopt for anything else.
  static std::optional<ProcessIdentity> parse(std::string_view text);

  std::string text() const;
  // True while that very process exists in this pid namespace (a zombie counts).
  bool alive() const;

  bool operator==(const ProcessIdentity&) const = default;
};

}  // namespace pop
