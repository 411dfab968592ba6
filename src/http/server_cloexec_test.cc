// The server's sockets never reach a program that a handler thread execs: the listening
// socket and every accepted connection are close-on-exec from their creation.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "http/server.h"
#include "http/server_test_fixture.h"

namespace pop::http::testing {
namespace {

struct ServerSocket {
  int fd = -1;
  bool listening = false;
  bool close_on_exec = false;
};

// Every socket of this process whose local port is `port`: the server's listening socket
// and its side of each accepted connection (a client's side has `port` as its peer's).
std::vector<ServerSocket> sockets_on_port(std::uint16_t port) {
  std::vector<ServerSocket> found;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return found;
  while (const dirent* entry = ::readdir(dir)) {
    const int fd = std::atoi(entry->d_name);
    struct stat info {};
    if (entry->d_name[0] == '.' || ::fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) continue;
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) continue;
    if (local.ss_family != AF_INET) continue;
    if (ntohs(reinterpret_cast<const sockaddr_in&>(local).sin_port) != port) continue;
    int accepting = 0;
    socklen_t size = sizeof accepting;
    ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &size);
    found.push_back({fd, accepting != 0, (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0});
  }
  ::closedir(dir);
  return found;
}

TEST_F(ServerTest, ListeningAndAcceptedSocketsAreCloseOnExec) {
  Router router;
  ASSERT_TRUE(router.add("GET", "/healthz", [](const HttpRequest&) {
    return json_response(200, {{"status", "ok"}});
  }));
  start(router);
  // Two connections, the second answered so that the first is surely accepted as well.
  auto idle = connect();
  auto client = connect();
  ASSERT_TRUE(client->send(http_request("GET", "/healthz")));
  ASSERT_TRUE(client->read_response());

  const std::vector<ServerSocket> sockets = sockets_on_port(server_->port());
  int listening = 0;
  int accepted = 0;
  for (const ServerSocket& socket : sockets) {
    (socket.listening ? listening : accepted) += 1;
    EXPECT_TRUE(socket.close_on_exec)
        << (socket.listening ? "listening" : "accepted") << " socket fd " << socket.fd;
  }
  EXPECT_EQ(listening, 1);
  EXPECT_GE(accepted, 2);
}

}  // namespace
}  // namespace pop::http::testing
