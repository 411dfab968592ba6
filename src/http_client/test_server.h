// Test support: a tiny scripted HTTP/1.1 server on plain POSIX sockets (127.0.0.1 port 0, or
// a Unix socket path), so the client's tests talk to a real peer whose every byte they
// control. It records what it received and lets a handler answer, stall, stream chunks or
// drop the connection. Every wait is bounded or ended by the server's stop, so a client bug
// fails a test instead of hanging it. Header-only so that it stays out of pop_core.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "http_client/client_options.h"
#include "http_client/headers.h"

namespace pop::http_client::testing {

using namespace std::chrono_literals;

struct ReceivedRequest {
  std::string method;
  std::string target;
  Headers headers;
  std::string body;
  int connection = 0;  // 1 for the first connection the server accepted, and so on

  std::string header(std::string_view name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// The server's side of one connection, as a handler sees it. Used by that connection's
// thread only.
class Connection {
 public:
  Connection(int fd, int stop_fd) : fd_(fd), stop_fd_(stop_fd) {}

  // False when the peer is gone or the server is stopping.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // A complete response with Content-Length; extra header lines are "Name: value" each.
  bool respond(int status, std::string_view body, const std::vector<std::string>& headers = {}) {
    std::string text = "HTTP/1.1 " + std::to_string(status) + " Status\r\n";
    for (const auto& line : headers) text += line + "\r\n";
    text += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    text += body;
    return send(text);
  }

  // The head of a chunked response; follow with send_chunk() and end_chunks().
  bool start_chunked(int status, const std::vector<std::string>& headers = {}) {
    std::string text = "HTTP/1.1 " + std::to_string(status) + " Status\r\n";
    for (const auto& line : headers) text += line + "\r\n";
    text += "Transfer-Encoding: chunked\r\n\r\n";
    return send(text);
  }
  bool send_chunk(std::string_view data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return send(std::string(size) + std::string(data) + "\r\n");
  }
  bool end_chunks() { return send("0\r\n\r\n"); }

  // Closes the connection once the handler returns, instead of reading another request.
  void close_after() { close_ = true; }
  bool closing() const { return close_; }

  // Blocks until the client closes the connection (true), or `timeout` passes or the
  // server stops (false). Bytes the client sends meanwhile are discarded.
  bool wait_for_client_close(std::chrono::milliseconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      if (!wait_readable(left)) return false;
      char scratch[4096];
      const ssize_t n = ::recv(fd_, scratch, sizeof scratch, 0);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return true;
    }
  }

  // Reads more bytes into `buffer`; false on end of connection, error or stop.
  bool receive_into(std::string& buffer) {
    if (!wait_readable(std::chrono::milliseconds(-1))) return false;
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

 private:
  // True when the socket is readable; false on timeout or stop. A negative timeout waits
  // until one of them.
  bool wait_readable(std::chrono::milliseconds timeout) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    while (true) {
      const int n = ::poll(fds, 2, static_cast<int>(timeout.count()));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || (fds[1].revents & POLLIN) != 0) return false;
      return true;
    }
  }

  int fd_;
  int stop_fd_;
  bool close_ = false;
};

using Handler = std::function<void(const ReceivedRequest&, Connection&)>;

class TestServer {
 public:
  // Listens on 127.0.0.1 with a port the kernel picks; nullptr (with a printed reason) on
  // failure.
  static std::unique_ptr<TestServer> start_tcp(Handler handler) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd, 16) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      std::perror("test server");
      if (fd >= 0) ::close(fd);
      return nullptr;
    }
    auto server = std::unique_ptr<TestServer>(new TestServer(fd, std::move(handler)));
    server->port_ = ntohs(address.sin_port);
    return server;
  }

  // Listens on a Unix socket at `path` (which must not exist).
  static std::unique_ptr<TestServer> start_unix(const std::string& path, Handler handler) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) return nullptr;
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd, 16) != 0) {
      std::perror("test server");
      if (fd >= 0) ::close(fd);
      return nullptr;
    }
    return std::unique_ptr<TestServer>(new TestServer(fd, std::move(handler)));
  }

  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // Wakes every handler blocked on the client and joins all threads.
  ~TestServer() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(stop_fd_, &one, sizeof one);
    accept_thread_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(connection_threads_);
    }
    for (auto& thread : threads) thread.join();
    ::close(listen_fd_);
    ::close(stop_fd_);
  }

  std::uint16_t port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  int connections() const {
    std::lock_guard lock(mutex_);
    return connections_;
  }
  std::vector<ReceivedRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  // Waits until at least `count` requests arrived; false after `timeout`.
  bool wait_for_requests(std::size_t count, std::chrono::milliseconds timeout = 10s) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
  }
  // Waits until `count` connections have ended (closed by either side).
  bool wait_for_closed_connections(int count, std::chrono::milliseconds timeout = 10s) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return closed_ >= count; });
  }

 private:
  TestServer(int listen_fd, Handler handler)
      : listen_fd_(listen_fd),
        stop_fd_(::eventfd(0, EFD_CLOEXEC)),
        handler_(std::move(handler)),
        accept_thread_([this] { accept_loop(); }) {}

  void accept_loop() {
    while (true) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if ((fds[1].revents & POLLIN) != 0) return;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard lock(mutex_);
      const int id = ++connections_;
      connection_threads_.emplace_back([this, fd, id] { serve(fd, id); });
    }
  }

  void serve(int fd, int id) {
    Connection connection(fd, stop_fd_);
    std::string buffer;
    while (true) {
      ReceivedRequest request;
      if (!read_request(connection, buffer, request)) break;
      request.connection = id;
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      changed_.notify_all();
      handler_(request, connection);
      if (connection.closing()) break;
    }
    ::close(fd);
    {
      std::lock_guard lock(mutex_);
      ++closed_;
    }
    changed_.notify_all();
  }

  // Parses one request with a Content-Length body (all this client sends); false when the
  // connection ends first.
  static bool read_request(Connection& connection, std::string& buffer, ReceivedRequest& out) {
    std::size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!connection.receive_into(buffer)) return false;
    }
    const std::string head = buffer.substr(0, head_end);
    buffer.erase(0, head_end + 4);
    std::size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const auto space1 = request_line.find(' ');
    const auto space2 = request_line.find(' ', space1 + 1);
    out.method = request_line.substr(0, space1);
    out.target = request_line.substr(space1 + 1, space2 - space1 - 1);
    while (line_end != std::string::npos) {
      const std::size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line = head.substr(start, line_end - start);
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      out.headers[line.substr(0, colon)] = value;
    }
    std::size_t length = 0;
    if (auto it = out.headers.find("Content-Length"); it != out.headers.end()) {
      length = std::strtoull(it->second.c_str(), nullptr, 10);
    }
    while (buffer.size() < length) {
      if (!connection.receive_into(buffer)) return false;
    }
    out.body = buffer.substr(0, length);
    buffer.erase(0, length);
    return true;
  }

  const int listen_fd_;
  const int stop_fd_;
  std::uint16_t port_ = 0;
  Handler handler_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  int connections_ = 0;                          // guarded by mutex_
  int closed_ = 0;                               // guarded by mutex_
  std::vector<ReceivedRequest> requests_;        // guarded by mutex_
  std::vector<std::thread> connection_threads_;  // guarded by mutex_
  std::thread accept_thread_;                    // last: starts once the rest exists
};

// Options for a client of `server` that ignore any proxy set in the environment.
inline ClientOptions options_for(const TestServer& server) {
  ClientOptions options;
  options.base_url = server.base_url();
  options.proxy = "";
  return options;
}

}  // namespace pop::http_client::testing
