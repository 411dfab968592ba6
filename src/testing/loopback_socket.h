// Test support: a TCP connection to a server on 127.0.0.1 from a chosen loopback address, so
// that one test plays several clients (127.0.0.2 an attacker, 127.0.0.3 a bystander, ...)
// against a server that counts connections per address; and a listener on loopback for
// clients that connect out (a Graphite pusher). Header-only so it stays out of pop_core.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace pop::testing {

// A blocking, close-on-exec TCP socket bound to `source` (any 127.x.y.z) and connected to
// 127.0.0.1:`port`; the caller owns and closes it. -1 on failure, with errno telling why.
inline int open_loopback_socket(std::uint16_t port, const char* source = "127.0.0.1") {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::inet_pton(AF_INET, source, &from.sin_addr) != 1) {
    errno = EINVAL;
  } else if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0 &&
             ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) {
    return fd;
  }
  const int error = errno;
  ::close(fd);
  errno = error;
  return -1;
}

// A TCP listener on 127.0.0.1 at `port` (0: a free one), owned (closed when it goes).
class LoopbackListener {
 public:
  explicit LoopbackListener(std::uint16_t port = 0)
      : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    const int reuse = 1;  // a port just given up by another listener
    if (fd_ < 0 || ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse) != 0 ||
        ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      if (fd_ >= 0) ::close(fd_);
      throw std::runtime_error("cannot listen on loopback");
    }
    port_ = ntohs(address.sin_port);
  }
  ~LoopbackListener() { ::close(fd_); }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  std::uint16_t port() const { return port_; }

  // What the next connection sends until it closes; nothing when none comes within `wait`.
  std::optional<std::string> receive(std::chrono::milliseconds wait = std::chrono::seconds(10)) {
    pollfd waiting{fd_, POLLIN, 0};
    if (::poll(&waiting, 1, static_cast<int>(wait.count())) != 1) return std::nullopt;
    const int connection = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) return std::nullopt;
    std::string received;
    char buffer[65536];
    for (ssize_t n; (n = ::read(connection, buffer, sizeof buffer)) > 0;)
      received.append(buffer, static_cast<std::size_t>(n));
    ::close(connection);
    return received;
  }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

}  // namespace pop::testing
