#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "http_client/client.h"
#include "http_client/test_client.h"
#include "http_client/test_server.h"

namespace pop::http_client {
namespace {

using testing::Connection;
using testing::options_for;
using testing::ReceivedRequest;
using testing::TestServer;
using namespace std::chrono_literals;

using testing::make_client;

constexpr RetryPolicy kFastRetries{
    .max_attempts = 3, .initial_delay = 1ms, .max_delay = 5ms, .max_elapsed = 10s};

TEST(ClientRetry, HonoursRetryAfterOn429ThenSucceeds) {
  std::atomic<int> calls = 0;
  auto server = TestServer::start_tcp([&](const ReceivedRequest&, Connection& connection) {
    if (++calls == 1) {
      connection.respond(429, "slow down", {"Retry-After: 0"});
    } else {
      connection.respond(200, "done");
    }
  });
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  // A back-off of a minute would fail the test's time bound: Retry-After: 0 must win.
  const RetryPolicy policy{
      .max_attempts = 3, .initial_delay = 60s, .max_delay = 60s, .max_elapsed = 120s};
  const auto start = std::chrono::steady_clock::now();
  auto response = client.send({.method = "GET", .target = "/v1/agendas"}, policy);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "done");
  EXPECT_EQ(calls.load(), 2);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(ClientRetry, GivesUpAfterMaxAttemptsOf503AndReturnsTheLastResponse) {
  std::atomic<int> calls = 0;
  auto server = TestServer::start_tcp([&](const ReceivedRequest&, Connection& connection) {
    connection.respond(503, "attempt " + std::to_string(++calls));
  });
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  auto response = client.send({.method = "DELETE", .target = "/v1/agendas/a1"}, kFastRetries);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body, "attempt 3");
  EXPECT_EQ(calls.load(), 3);
}

TEST(ClientRetry, NeverRepeatsAPostWithoutIdempotencyKey) {
  std::atomic<int> calls = 0;
  auto server = TestServer::start_tcp([&](const ReceivedRequest&, Connection& connection) {
    ++calls;
    connection.respond(503, "busy");
  });
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  auto response =
      client.send({.method = "POST", .target = "/v1/agendas", .body = "{}"}, kFastRetries);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(calls.load(), 1);
}

TEST(ClientRetry, RepeatsAPostThatCarriesAnIdempotencyKey) {
  std::atomic<int> calls = 0;
  auto server = TestServer::start_tcp([&](const ReceivedRequest&, Connection& connection) {
    connection.respond(++calls < 3 ? 503 : 201, "");
  });
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  Request request{.method = "POST", .target = "/v1/agendas", .body = "{}"};
  request.headers["Idempotency-Key"] = "k-1";
  auto response = client.send(request, kFastRetries);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 201);
  for (const auto& received : server->requests()) {
    EXPECT_EQ(received.header("Idempotency-Key"), "k-1");
    EXPECT_EQ(received.body, "{}");
  }
}

TEST(ClientRetry, DoesNotRepeatOtherErrorStatuses) {
  std::atomic<int> calls = 0;
  auto server = TestServer::start_tcp([&](const ReceivedRequest&, Connection& connection) {
    ++calls;
    connection.respond(500, "bug");
  });
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  auto response = client.send({.target = "/v1/agendas"}, kFastRetries);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(calls.load(), 1);
}

TEST(ClientRetry, RepeatsConnectFailuresAndSaysHowOften) {
  // Bound but not listening: every connection attempt is refused.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  Client client = make_client(
      {.base_url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)), .proxy = ""});
  auto response = client.send({.target = "/v1/agendas"}, kFastRetries);
  ::close(fd);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(response.error().message.find("cannot reach"), std::string::npos);
  EXPECT_EQ(response.error().details, std::vector<std::string>{"gave up after 3 attempts"});
}

TEST(ClientRetry, DoesNotRepeatATimeoutAfterTheRequestWasSent) {
  auto server = TestServer::start_tcp(
      [](const ReceivedRequest&, Connection& connection) { connection.wait_for_client_close(); });
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  auto response = client.send({.target = "/slow", .timeout = 200ms}, kFastRetries);
  ASSERT_FALSE(response);
  EXPECT_EQ(server->requests().size(), 1u);
}

TEST(ClientRetry, CancelEndsTheBackOff) {
  auto server = TestServer::start_tcp([](const ReceivedRequest&, Connection& connection) {
    connection.respond(503, "", {"Retry-After: 60"});
  });
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  std::thread canceller_thread([&, canceller = client.canceller()] {
    if (server->wait_for_requests(1)) canceller.cancel();
  });
  const auto start = std::chrono::steady_clock::now();
  auto response = client.send({.target = "/v1/agendas"},
                              {.max_attempts = 5, .max_elapsed = std::chrono::minutes(5)});
  canceller_thread.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().message.find("cancelled"), std::string::npos);
  EXPECT_EQ(server->requests().size(), 1u);
}

}  // namespace
}  // namespace pop::http_client
