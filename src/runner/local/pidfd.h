// pidfd_open(2). glibc 2.36's <sys/pidfd.h> declares it without extern "C", so C++ cannot
// link against it; the raw system call has no such problem.
#pragma once

#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

namespace pop {

inline int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace pop
