// Test support for attacks on a server: sockets from a chosen loopback address (127.0.0.2
// plays the attacker, 127.0.0.1 the victim), a process's resident memory, and a lowered
// soft descriptor limit for the children a test starts. Header-only so it stays out of
// pop_core.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace pop::testing {

// A blocking TCP socket bound to `source` (e.g. "127.0.0.2") and connected to
// 127.0.0.1:port; -1 on failure. The caller closes it.
inline int connect_from(const char* source, std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The port of a base URL such as "http://127.0.0.1:8080".
inline std::uint16_t port_of(const std::string& base_url) {
  return static_cast<std::uint16_t>(std::stoul(base_url.substr(base_url.rfind(':') + 1)));
}

// VmRSS of process `pid` in bytes; 0 when it cannot be read (the process is gone).
inline std::size_t resident_bytes(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      std::size_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
    status.ignore(1 << 16, '\n');
  }
  return 0;
}

// The soft RLIMIT_NOFILE of process `pid` as /proc/PID/limits shows it; 0 when unreadable.
inline std::size_t soft_open_file_limit(int pid) {
  std::ifstream limits("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(limits, line)) {
    if (line.rfind("Max open files", 0) == 0) return std::stoul(line.substr(26));
  }
  return 0;
}

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
