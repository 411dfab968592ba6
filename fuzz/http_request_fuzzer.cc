// HTTP requests through the real server (http/server.h): each input is written, as it is, to
// a new connection of an http::Server on 127.0.0.1 (started once, port 0), then the client
// half-closes and reads until the server closes. Only the public Server API is used, so the
// target follows whatever the server does with the bytes (parser, limits, authentication
// before the body, keep-alive, pipelining, streaming, asynchronous answers).
//
// The server serves a Router shaped like the API's: a gate that reads the bearer token,
// agendas validated with load_agenda, a streamed log, an asynchronous pull answered from
// another thread. Its limits are small (2 KiB of header, 4 KiB of body) so that inputs of a
// few KiB reach them.
//
// Beyond not crashing: the server logs nothing (it logs handler exceptions, invalid
// responses and event-loop failures, none of which these handlers cause), closes every
// connection within seconds of the client's half-close, and answers with HTTP.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agenda/agenda_validator.h"
#include "auth/authenticator.h"
#include "fuzz_support.h"
#include "http/error_response.h"
#include "http/router.h"
#include "http/server.h"
#include "util/logger.h"

namespace {

using namespace std::chrono_literals;
using pop::Json;
using pop::http::HttpRequest;
using pop::http::HttpResponse;
using pop::http::Responder;

// How long the server may take to answer and close after the client's half-close: far more
// than it needs, far less than libFuzzer's -timeout.
constexpr auto kCloseDeadline = 10s;

// Answers parked responders from a thread of its own, as long polls are answered.
class LaterAnswers {
 public:
  LaterAnswers() : thread_([this] { run(); }) {}
  ~LaterAnswers() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  void park(Responder responder, HttpResponse response) {
    {
      std::lock_guard lock(mu_);
      parked_.emplace_back(std::move(responder), std::move(response));
    }
    changed_.notify_all();
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    while (true) {
      changed_.wait(lock, [this] { return stopping_ || !parked_.empty(); });
      if (parked_.empty()) return;
      auto [responder, response] = std::move(parked_.front());
      parked_.pop_front();
      lock.unlock();
      responder.send(std::move(response));
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::pair<Responder, HttpResponse>> parked_;
  bool stopping_ = false;
  std::thread thread_;
};

// What the server logged since the last input.
class LogLines final : public pop::Logger {
 public:
  void log(pop::LogLevel, std::string_view message, std::initializer_list<pop::LogField>) override {
    std::lock_guard lock(mu_);
    lines_.emplace_back(message);
  }
  std::vector<std::string> take() {
    std::lock_guard lock(mu_);
    return std::exchange(lines_, {});
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

// Sizes only, never the request's bytes: a body never looks like a status line.
Json summary(const HttpRequest& request) {
  Json params = Json::object();
  for (const auto& [name, value] : request.path_params) params[name] = value.size();
  return {{"method", request.method.size()},
          {"params", params},
          {"query", request.query.params().size()},
          {"headers", request.headers.size()},
          {"body", request.body.size()}};
}

pop::http::Router make_router(LaterAnswers& later) {
  using pop::http::Access;
  using pop::http::json_response;
  pop::http::Router router;
  auto must = [](pop::Result<void> added) { POP_FUZZ_CHECK(added.has_value()); };
  router.set_gate([](HttpRequest& request) -> std::optional<HttpResponse> {
    auto token = pop::auth::bearer_token(request.header("Authorization"));
    if (!token) return pop::http::error_response(token.error(), request.correlation_id);
    return std::nullopt;
  });
  must(router.add(
      "GET", "/healthz",
      [](const HttpRequest&) {
        return json_response(200, {{"ok", true}});
      },
      Access::kOpen));
  auto echo = [](const HttpRequest& request) { return json_response(200, summary(request)); };
  must(router.add("GET", "/v1/agendas", echo));
  must(router.add("GET", "/v1/agendas/{id}", echo));
  must(router.add("DELETE", "/v1/agendas/{id}", echo));
  must(router.add("GET", "/v1/agendas/{id}/operations/{operation}", echo));
  must(router.add("PUT", "/v1/pools/{pool}/leases/{agenda}/progress", echo));
  must(router.add("POST", "/v1/agendas", [](const HttpRequest& request) {
    auto loaded = pop::load_agenda(request.body, [](std::string_view) { return true; });
    if (!loaded) return pop::http::error_response(loaded.error(), request.correlation_id);
    return json_response(201, {{"operations", loaded->agenda.operations.size()}});
  }));
  must(router.add_async("GET", "/v1/agendas/{id}/operations/{operation}/logs",
                        [](HttpRequest request, Responder responder) {
                          if (!responder.start_stream(200)) return;
                          for (const auto& [name, value] : request.path_params)
                            responder.write(name + ": " + std::to_string(value.size()) + "\n");
                          responder.end();
                        }));
  must(router.add_async("POST", "/v1/pools/{pool}/pull",
                        [&later](HttpRequest request, Responder responder) {
                          later.park(std::move(responder), json_response(200, summary(request)));
                        }));
  return router;
}

struct Fixture {
  LaterAnswers later;
  LogLines log;
  std::unique_ptr<pop::http::Server> server;

  Fixture() {
    pop::http::ServerOptions options;
    options.port = 0;
    options.threads = 1;
    options.handler_threads = 2;
    options.max_header_bytes = 2048;
    options.max_body_bytes = 4096;
    options.request_timeout = 2s;
    options.idle_timeout = 2s;
    options.write_timeout = 2s;
    options.stop_grace = 1s;
    options.logger = &log;
    server = std::make_unique<pop::http::Server>(options, make_router(later).to_handler());
    POP_FUZZ_CHECK(server->start().has_value());
  }
};

Fixture* fixture = nullptr;

// Connects `fd` to `address`. A signal (libFuzzer's timer) can interrupt a connect that
// waits for room in the server's backlog: the connection then completes in the background,
// and is waited for. Any other failure fails the run naming the error (one after ~3,400
// executions of a 300 s exploration was reported without it).
void connect_or_fail(int fd, const sockaddr_in& address) {
  const auto* peer = reinterpret_cast<const sockaddr*>(&address);
  if (::connect(fd, peer, sizeof address) == 0) return;
  int error = errno;
  if (error == EINTR || error == EINPROGRESS) {
    pollfd writable{fd, POLLOUT, 0};
    if (::poll(&writable, 1, 10'000) == 1) {
      socklen_t length = sizeof error;
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
      if (error == 0) return;
    } else {
      error = ETIMEDOUT;
    }
  }
  const std::string what = std::string("connecting to the server: ") + std::strerror(error);
  pop::fuzz::invariant_failed(what.c_str(), __FILE__, __LINE__);
}

// Sends `input`, half-closes, and returns everything the server wrote until it closed.
std::string exchange(std::string_view input) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  POP_FUZZ_CHECK(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(fixture->server->port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connect_or_fail(fd, address);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // The server may answer and close before reading everything (a 413, a 400): a failed send
  // is then expected, and what it answered is still read below.
  while (!input.empty()) {
    const ssize_t sent = ::send(fd, input.data(), input.size(), MSG_NOSIGNAL);
    if (sent <= 0) break;
    input.remove_prefix(static_cast<std::size_t>(sent));
  }
  ::shutdown(fd, SHUT_WR);

  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + kCloseDeadline;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd readable{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&readable, 1, static_cast<int>(left.count())) == 0) {
      pop::fuzz::invariant_failed("the server closes the connection within 10 s", __FILE__,
                                  __LINE__);
    }
    char buffer[16384];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;  // closed, or reset after a response that closed the connection
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return answer;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  static Fixture instance;
  fixture = &instance;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string answer = exchange(pop::fuzz::as_text(data, size));
  for (const std::string& line : fixture->log.take()) {
    std::fprintf(stderr, "server log: %s\n", line.c_str());
    pop::fuzz::invariant_failed("the server logs nothing", __FILE__, __LINE__);
  }
  POP_FUZZ_CHECK(answer.empty() || answer.starts_with("HTTP/1.1 ") ||
                 answer.starts_with("HTTP/1.0 "));
  return 0;
}
