// The server's limits: sizes, timeouts and connection counts, each answered in the error
// shape where an answer is still possible.
#include <gtest/gtest.h>

#include "http/server.h"
#include "http/server_test_fixture.h"

namespace pop::http::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

Router small_router() {
  Router router;
  EXPECT_TRUE(router.add("GET", "/healthz", [](const HttpRequest&) {
    return json_response(200, {{"status", "ok"}});
  }));
  EXPECT_TRUE(router.add("POST", "/upload", [](const HttpRequest& request) {
    return json_response(200, {{"received", request.body.size()}});
  }));
  return router;
}

TEST_F(ServerTest, OversizedBodyIs413BeforeTheBodyIsRead) {
  ServerOptions options = test_options();
  options.max_body_bytes = 1024;
  start(small_router(), options);
  auto client = connect();
  // Announces 100 MB, sends 1 KB and waits: the answer must come without the rest.
  ASSERT_TRUE(client->send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n" +
                           std::string(1024, 'x')));
  auto response = client->read_response();
  ASSERT_TRUE(response) << client->error();
  EXPECT_EQ(response->status, 413);
  expect_error_shape(*response, "too_large");
  EXPECT_EQ(response->headers.get("Connection"), "close");
  EXPECT_TRUE(client->wait_closed());

  auto within = round_trip(http_request("POST", "/upload", "", std::string(1024, 'y')));
  ASSERT_TRUE(within);
  EXPECT_EQ(within->status, 200);
}

TEST_F(ServerTest, OversizedChunkedBodyIs413) {
  ServerOptions options = test_options();
  options.max_body_bytes = 1024;
  start(small_router(), options);
  auto client = connect();
  ASSERT_TRUE(
      client->send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" +
                   std::string(1024, 'x') + "\r\n10\r\n" + std::string(16, 'x') + "\r\n"));
  auto response = client->read_response();
  ASSERT_TRUE(response) << client->error();
  EXPECT_EQ(response->status, 413);
  expect_error_shape(*response, "too_large");
}

TEST_F(ServerTest, OversizedHeaderIs431) {
  ServerOptions options = test_options();
  options.max_header_bytes = 2048;
  start(small_router(), options);
  auto response =
      round_trip(http_request("GET", "/healthz", "X-Big: " + std::string(4096, 'h') + "\r\n"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  expect_error_shape(*response, "too_large");

  auto long_target = round_trip(http_request("GET", "/healthz?" + std::string(4096, 'q')));
  ASSERT_TRUE(long_target);
  EXPECT_EQ(long_target->status, 431);
}

TEST_F(ServerTest, SlowSenderIsCutOffByTheRequestTimeout) {
  ServerOptions options = test_options();
  options.request_timeout = std::chrono::milliseconds(300);
  options.idle_timeout = std::chrono::seconds(30);
  start(small_router(), options);
  auto client = connect();
  const auto began = SteadyClock::now();
  // A byte every 50 ms keeps every single read short; only a whole-request deadline stops it.
  ASSERT_TRUE(client->send("GET /healthz HTTP/1.1\r\n"));
  bool closed = false;
  while (!closed && SteadyClock::now() - began < std::chrono::seconds(10)) {
    if (!client->send("X")) break;  // reset by the server: closed
    closed = client->wait_closed(std::chrono::milliseconds(50));
  }
  const auto elapsed = SteadyClock::now() - began;
  EXPECT_GE(elapsed, std::chrono::milliseconds(300));
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions options = test_options();
  options.idle_timeout = std::chrono::milliseconds(200);
  options.first_request_timeout = std::chrono::milliseconds(200);
  start(small_router(), options);
  auto client = connect();
  ASSERT_TRUE(client->send(http_request("GET", "/healthz")));
  ASSERT_TRUE(client->read_response());
  const auto began = SteadyClock::now();
  EXPECT_TRUE(client->wait_closed());
  EXPECT_GE(SteadyClock::now() - began, std::chrono::milliseconds(150));

  auto silent = connect();  // never sends anything
  EXPECT_TRUE(silent->wait_closed());
}

TEST_F(ServerTest, ConnectionsBeyondTheLimitGet503) {
  ServerOptions options = test_options();
  options.max_connections = 2;
  start(small_router(), options);
  std::vector<std::unique_ptr<TestClient>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(connect());
    ASSERT_TRUE(held.back()->send(http_request("GET", "/healthz")));
    ASSERT_TRUE(held.back()->read_response());  // accepted and registered
  }
  // Answered at once, without waiting for a request, and closed.
  auto refused_client = connect();
  auto refused = refused_client->read_response(2s);
  ASSERT_TRUE(refused) << refused_client->error();
  EXPECT_EQ(refused->status, 503);
  expect_error_shape(*refused, "unavailable");
  EXPECT_EQ(refused->headers.get("Connection"), "close");
  EXPECT_TRUE(refused->headers.get("Retry-After").has_value());
  EXPECT_TRUE(refused_client->wait_closed());

  // Once a held connection goes, new ones are served again (the server notices the close
  // asynchronously, so retry a bounded number of times).
  held.front()->close();
  int status = 0;
  for (int attempt = 0; attempt < 1000 && status != 200; ++attempt) {
    auto response = round_trip(http_request("GET", "/healthz"));
    ASSERT_TRUE(response);
    status = response->status;
  }
  EXPECT_EQ(status, 200);
}

}  // namespace
}  // namespace pop::http::testing
