#include "http/connection_shedding.h"

#include <sys/socket.h>
#include <unistd.h>

#include <array>

#include "http/correlation_id.h"
#include "http/error_response.h"

namespace pop::http::detail {

namespace {

// Enough for any request head a client sent before it could see the answer.
constexpr std::size_t kMaxDrainBytes = 64 * 1024;

}  // namespace

std::string shed_response(std::string_view message) {
  const std::string correlation_id = generate_correlation_id();
  const HttpResponse response = overloaded_response(message, correlation_id);
  std::string text = "HTTP/1.1 503 Service Unavailable\r\n";
  for (const auto& [name, value] : response.headers.fields()) text += name + ": " + value + "\r\n";
  text += std::string(kCorrelationIdHeader) + ": " + correlation_id + "\r\n";
  text += "Connection: close\r\nContent-Length: " + std::to_string(response.body.size()) +
          "\r\n\r\n" + response.body;
  return text;
}

void shed_connection(int fd, bool plaintext, std::string_view message) {
  if (plaintext) {
    std::array<char, 8192> scratch{};
    for (std::size_t drained = 0; drained < kMaxDrainBytes;) {
      const ssize_t n = ::recv(fd, scratch.data(), scratch.size(), MSG_DONTWAIT);
      if (n <= 0) break;
      drained += static_cast<std::size_t>(n);
    }
    const std::string answer = shed_response(message);
    // A fresh socket's send buffer takes this whole; if not, the client gets less.
    (void)::send(fd, answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
  }
  ::close(fd);
}

}  // namespace pop::http::detail
