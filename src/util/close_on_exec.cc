#include "util/close_on_exec.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <memory>

namespace pop {

std::vector<int> inheritable_descriptors() {
  std::vector<int> found;
  // opendir opens its own descriptor with O_CLOEXEC, so it never lists itself here.
  std::unique_ptr<DIR, int (*)(DIR*)> directory(::opendir("/proc/self/fd"), &::closedir);
  if (!directory) return found;
  while (const dirent* entry = ::readdir(directory.get())) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    const int fd = std::atoi(entry->d_name);
    if (fd < 3) continue;
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0 && (flags & FD_CLOEXEC) == 0) found.push_back(fd);
  }
  std::sort(found.begin(), found.end());
  return found;
}

void make_descriptors_close_on_exec() {
  // One system call on Linux 5.11 and later; the scan of /proc for older kernels.
  if (::syscall(SYS_close_range, 3U, UINT_MAX, CLOSE_RANGE_CLOEXEC) == 0) return;
  for (int fd : inheritable_descriptors()) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

}  // namespace pop
