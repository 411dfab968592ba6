#include "util/open_file_limit.h"

#include <sys/resource.h>

#include <algorithm>

namespace pop {

std::size_t raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? static_cast<std::size_t>(1) << 20
                                         : static_cast<std::size_t>(limit.rlim_cur);
}

std::size_t connections_within(std::size_t open_file_limit, std::size_t reserved,
                               std::size_t wanted, std::size_t minimum) {
  const std::size_t available = open_file_limit > reserved ? open_file_limit - reserved : 0;
  return std::max(std::min(available, wanted), minimum);
}

}  // namespace pop
