// Test support: a TCP connection to a server on 127.0.0.1 from a chosen loopback address, so
// that one test plays several clients (127.0.0.2 an attacker, 127.0.0.3 a bystander, ...)
// against a server that counts connections per address. Header-only so it stays out of
// pop_core.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

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

}  // namespace pop::testing
