// Test support: what tests and benchmarks read of another process from /proc (its resident
// memory, its CPU time, its threads, its descriptor limit), in one place so that every reader
// parses the same way. Header-only so it stays out of pop_core.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace pop::testing {

// The number in the line "`field`: <number> ..." of /proc/PID/status (e.g. "VmRSS", in KiB,
// or "Threads"); nullopt when the process is gone or has no such field.
inline std::optional<long> status_field(int pid, std::string_view field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.size() > field.size() && line.compare(0, field.size(), field) == 0 &&
        line[field.size()] == ':') {
      return std::stol(line.substr(field.size() + 1));
    }
  }
  return std::nullopt;
}

// The resident memory (VmRSS) of process `pid` in bytes; 0 when the process is gone.
inline std::size_t resident_bytes(int pid) {
  return static_cast<std::size_t>(status_field(pid, "VmRSS").value_or(0)) * 1024;
}

// The number of threads of process `pid`; 0 when the process is gone.
inline long thread_count(int pid) { return status_field(pid, "Threads").value_or(0); }

// The CPU time process `pid` has used so far (user and system, in seconds, from
// /proc/PID/stat); 0 when the process is gone.
inline double cpu_seconds(int pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // The command name, in parentheses, may hold spaces: the fields are counted after it.
  const std::size_t name_end = text.rfind(')');
  if (name_end == std::string::npos) return 0;
  std::istringstream fields(text.substr(name_end + 1));
  std::string field;
  // Fields 3 to 13 (state ... cmajflt), then utime and stime (14 and 15).
  for (int i = 3; i <= 13; ++i) fields >> field;
  long user = 0, system = 0;
  if (!(fields >> user >> system)) return 0;
  return static_cast<double>(user + system) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The soft RLIMIT_NOFILE of process `pid` as /proc/PID/limits shows it; 0 when unreadable.
inline std::size_t soft_open_file_limit(int pid) {
  std::ifstream limits("/proc/" + std::to_string(pid) + "/limits");
  for (std::string line; std::getline(limits, line);) {
    if (line.rfind("Max open files", 0) == 0) return std::stoul(line.substr(26));
  }
  return 0;
}

}  // namespace pop::testing
