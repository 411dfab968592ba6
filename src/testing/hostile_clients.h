// Test support for attacks on a server: a set of sockets an attacker holds (opened with
// testing/loopback_socket.h from its own address), and a lowered soft descriptor limit for
// the children a test starts. Header-only so it stays out of pop_core.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <cstddef>
#include <vector>

namespace pop::testing {

// Lowers this process's soft descriptor limit for its lifetime, so that children started
// meanwhile inherit it (as under `ulimit -Sn 1024`); restores the previous one after.
class SoftOpenFileLimit {
 public:
  explicit SoftOpenFileLimit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit lowered = saved_;
    lowered.rlim_cur = soft;
    ::setrlimit(RLIMIT_NOFILE, &lowered);
  }
  ~SoftOpenFileLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  SoftOpenFileLimit(const SoftOpenFileLimit&) = delete;
  SoftOpenFileLimit& operator=(const SoftOpenFileLimit&) = delete;

 private:
  rlimit saved_{};
};

// Closes a set of descriptors when it goes.
class SocketSet {
 public:
  SocketSet() = default;
  SocketSet(const SocketSet&) = delete;
  SocketSet& operator=(const SocketSet&) = delete;
  ~SocketSet() {
    for (int fd : fds_) ::close(fd);
  }
  void add(int fd) { fds_.push_back(fd); }
  std::size_t size() const { return fds_.size(); }
  int at(std::size_t i) const { return fds_.at(i); }

 private:
  std::vector<int> fds_;
};

}  // namespace pop::testing
