#include "metrics/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace pop::metrics {
namespace {

// The fields of /proc/self/stat after the command name (which may hold spaces and ')'):
// fields[0] is the state, field N of proc(5) is fields[N - 3].
std::vector<std::string> stat_fields() {
  std::ifstream file("/proc/self/stat");
  std::string line;
  std::getline(file, line);
  std::vector<std::string> fields;
  const auto end_of_name = line.rfind(')');
  if (end_of_name == std::string::npos) return fields;
  std::istringstream rest(line.substr(end_of_name + 1));
  for (std::string field; rest >> field;) fields.push_back(field);
  return fields;
}

double field(const std::vector<std::string>& fields, std::size_t proc_number) {
  const std::size_t index = proc_number - 3;
  return index < fields.size() ? std::strtod(fields[index].c_str(), nullptr) : 0;
}

// The boot time in seconds since the epoch (btime of /proc/stat), 0 when unknown.
double boot_time() {
  std::ifstream file("/proc/stat");
  for (std::string key; file >> key;) {
    if (key == "btime") {
      double seconds = 0;
      file >> seconds;
      return seconds;
    }
    file.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

double open_descriptors() {
  std::error_code error;
  double count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
       it.increment(error))
    ++count;
  return count > 0 ? count - 1 : 0;  // less the one that lists them
}

}  // namespace

Families process_metrics() {
  Families families;
  const std::vector<std::string> fields = stat_fields();
  if (fields.size() >= 22) {
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    families.push_back(counter_family("process_cpu_seconds_total",
                                      "User and system CPU time spent, in seconds.",
                                      {{{}, (field(fields, 14) + field(fields, 15)) / ticks}}));
    families.push_back(gauge_family("process_resident_memory_bytes",
                                    "Resident memory size, in bytes.",
                                    {{{}, field(fields, 24) * page}}));
    families.push_back(gauge_family("process_virtual_memory_bytes",
                                    "Virtual memory size, in bytes.", {{{}, field(fields, 23)}}));
    families.push_back(
        gauge_family("process_threads", "Threads of the process.", {{{}, field(fields, 20)}}));
    if (const double booted = boot_time(); booted > 0) {
      families.push_back(gauge_family("process_start_time_seconds",
                                      "Start time of the process since the Unix epoch, in seconds.",
                                      {{{}, booted + field(fields, 22) / ticks}}));
    }
  }
  families.push_back(
      gauge_family("process_open_fds", "Open file descriptors.", {{{}, open_descriptors()}}));
  if (rlimit limit{}; getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    families.push_back(gauge_family("process_max_fds", "The most open file descriptors allowed.",
                                    {{{}, static_cast<double>(limit.rlim_cur)}}));
  }
  return families;
}

}  // namespace pop::metrics
