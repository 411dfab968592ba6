// Test support: a deliberately small blocking HTTP/1.1 client on POSIX sockets, so the
// server's tests speak to it byte by byte (partial requests, oversized bodies, pipelined
// bytes, half-closes) without another HTTP library. Every read has a deadline, so a server
// bug fails a test instead of hanging it. Header-only so it stays out of pop_core.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/headers.h"
#include "testing/loopback_socket.h"

namespace pop::http::testing {

using namespace std::chrono_literals;

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;                 // de-chunked
  std::vector<std::string> chunks;  // when chunked, each chunk as received
};

// "GET /path HTTP/1.1" with Host and any extra header lines ("Name: value\r\n" each).
inline std::string http_request(std::string_view method, std::string_view target,
                                std::string_view extra_headers = {}, std::string_view body = {}) {
  std::string text =
      std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n";
  text += extra_headers;
  if (!body.empty() || method == "POST" || method == "PUT") {
    text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  text += "\r\n";
  text += body;
  return text;
}

class TestClient {
 public:
  using Clock = std::chrono::steady_clock;

  TestClient() = default;
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;
  virtual ~TestClient() { close(); }

  // Connects to 127.0.0.1:port from `source` (another loopback address plays another
  // client); false (with error()) on failure.
  bool connect(std::uint16_t port, const char* source = "127.0.0.1") {
    close();
    fd_ = ::pop::testing::open_loopback_socket(port, source);
    if (fd_ < 0) return set_error("connect from " + std::string(source));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return true;
  }

  int fd() const { return fd_; }
  const std::string& error() const { return error_; }

  virtual bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return set_error("send");
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Reads one complete response (Content-Length, chunked, or to the end of the connection).
  std::optional<ClientResponse> read_response(Clock::duration timeout = 10s, bool head = false) {
    const auto deadline = Clock::now() + timeout;
    auto response = read_head(timeout);
    if (!response) return std::nullopt;
    if (head || response->status == 204 || response->status == 304) return response;
    if (chunked_) {
      while (true) {
        auto chunk = read_chunk_until(deadline);
        if (!chunk) return std::nullopt;
        if (chunk->empty()) break;
        response->body += *chunk;
        response->chunks.push_back(std::move(*chunk));
      }
    } else if (auto length = response->headers.get("Content-Length")) {
      auto body = read_exact(std::strtoull(std::string(*length).c_str(), nullptr, 10), deadline);
      if (!body) return std::nullopt;
      response->body = std::move(*body);
    } else {
      while (fill(deadline) > 0) {
      }
      response->body = std::exchange(buffer_, {});
    }
    return response;
  }

  // Reads a status line and header; then read_chunk() reads a chunked body piece by piece.
  std::optional<ClientResponse> read_head(Clock::duration timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    ClientResponse response;
    do {  // skip interim 1xx responses
      auto status_line = read_line(deadline);
      if (!status_line) return std::nullopt;
      if (status_line->size() < 12 || status_line->compare(0, 5, "HTTP/") != 0) {
        set_error("bad status line: " + *status_line);
        return std::nullopt;
      }
      response.status = std::atoi(status_line->c_str() + 9);
      response.headers = Headers();
      while (true) {
        auto line = read_line(deadline);
        if (!line) return std::nullopt;
        if (line->empty()) break;
        const std::size_t colon = line->find(':');
        std::string value = line->substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        response.headers.add(line->substr(0, colon), value);
      }
    } while (response.status >= 100 && response.status < 200);
    auto encoding = response.headers.get("Transfer-Encoding");
    chunked_ = encoding && iequals(*encoding, "chunked");
    return response;
  }

  // One raw line without its CRLF, for checking interim responses byte by byte.
  std::optional<std::string> read_raw_line(Clock::duration timeout = 10s) {
    return read_line(Clock::now() + timeout);
  }

  // The next chunk's data; "" for the last chunk; nullopt on error or timeout.
  std::optional<std::string> read_chunk(Clock::duration timeout = 10s) {
    return read_chunk_until(Clock::now() + timeout);
  }

  // Waits for the server to close the connection: true on end of stream or reset, false
  // when data arrives instead or nothing happens within `timeout`.
  bool wait_closed(Clock::duration timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    buffer_.clear();
    const long n = fill(deadline);
    return n == 0 || (n < 0 && error_ != "timeout");
  }

 protected:
  // Reads some bytes into `out`: >0 count, 0 end of stream, -1 error or deadline.
  virtual long receive(char* out, std::size_t size, Clock::time_point deadline) {
    while (true) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd p{fd_, POLLIN, 0};
      const int ready = left.count() <= 0 ? 0 : ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {
        set_error("timeout");
        return -1;
      }
      const ssize_t n = ::recv(fd_, out, size, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        set_error("recv");
        return -1;
      }
      return n;
    }
  }

  bool set_error(std::string what) {
    error_ = std::move(what);
    if (error_ != "timeout" && errno != 0 && error_.find(':') == std::string::npos) {
      error_ += std::string(": errno ") + std::to_string(errno);
    }
    return false;
  }

  int fd_ = -1;

 private:
  long fill(Clock::time_point deadline) {
    char chunk[16384];
    const long n = receive(chunk, sizeof chunk, deadline);
    if (n > 0) buffer_.append(chunk, static_cast<std::size_t>(n));
    return n;
  }

  std::optional<std::string> read_line(Clock::time_point deadline) {
    while (true) {
      const std::size_t end = buffer_.find("\r\n");
      if (end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        return line;
      }
      if (fill(deadline) <= 0) {
        if (error_.empty()) error_ = "closed";
        return std::nullopt;
      }
    }
  }

  std::optional<std::string> read_exact(std::size_t n, Clock::time_point deadline) {
    while (buffer_.size() < n) {
      if (fill(deadline) <= 0) {
        if (error_.empty()) error_ = "closed";
        return std::nullopt;
      }
    }
    std::string out = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return out;
  }

  std::optional<std::string> read_chunk_until(Clock::time_point deadline) {
    auto size_line = read_line(deadline);
    if (!size_line) return std::nullopt;
    const std::size_t size = std::strtoull(size_line->c_str(), nullptr, 16);
    if (size == 0) {
      if (!read_line(deadline)) return std::nullopt;  // the blank line after the last chunk
      return std::string();
    }
    auto data = read_exact(size, deadline);
    if (!data || !read_line(deadline)) return std::nullopt;
    return data;
  }

  std::string buffer_;
  std::string error_;
  bool chunked_ = false;
};

}  // namespace pop::http::testing
