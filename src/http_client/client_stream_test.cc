#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

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

// A count the test and the server's handler thread both wait on.
class Progress {
 public:
  void advance() {
    std::lock_guard lock(mutex_);
    ++count_;
    changed_.notify_all();
  }
  // Ends every wait, present and future.
  void finish() {
    std::lock_guard lock(mutex_);
    finished_ = true;
    changed_.notify_all();
  }
  // True once `count` is reached; false after `timeout` or when finished first.
  bool wait_for(int count, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return count_ >= count || finished_; });
    return count_ >= count;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int count_ = 0;
  bool finished_ = false;
};

using testing::make_client;

// The server sends a chunk only after the client has handed the previous one over, so each
// chunk can only have been seen while the response was still incomplete.
TEST(ClientStream, DeliversChunksAsTheyArriveAndStopsEarly) {
  Progress received;
  bool server_saw_close = false;
  auto server = TestServer::start_tcp([&](const ReceivedRequest&, Connection& connection) {
    connection.start_chunked(200, {"Content-Type: application/x-ndjson"});
    for (int i = 1; i <= 100; ++i) {
      if (!connection.send_chunk("{\"event\":" + std::to_string(i) + "}\n")) break;
      if (!received.wait_for(i, 5s)) break;  // the client stopped reading
    }
    server_saw_close = connection.wait_for_client_close(10s);
    connection.close_after();
  });
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  std::vector<std::string> chunks;
  auto response = client.stream({.method = "GET", .target = "/v1/agendas/a1/watch"},
                                [&](std::string_view chunk) {
                                  chunks.emplace_back(chunk);
                                  received.advance();
                                  if (chunks.size() < 3) return true;
                                  received.finish();
                                  return false;
                                });
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("Content-Type"), "application/x-ndjson");
  EXPECT_EQ(response->body, "");
  EXPECT_EQ(chunks,
            (std::vector<std::string>{"{\"event\":1}\n", "{\"event\":2}\n", "{\"event\":3}\n"}));
  // Stopping closed the connection instead of draining a response that never ends.
  ASSERT_TRUE(server->wait_for_closed_connections(1));
  EXPECT_TRUE(server_saw_close);
}

TEST(ClientStream, ReadsAChunkedResponseToItsEnd) {
  auto server = TestServer::start_tcp([](const ReceivedRequest&, Connection& connection) {
    connection.start_chunked(200);
    connection.send_chunk("line 1\n");
    connection.send_chunk("line 2\n");
    connection.end_chunks();
  });
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  std::string body;
  auto response = client.stream({.target = "/logs"}, [&](std::string_view chunk) {
    body += chunk;
    return true;
  });
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(body, "line 1\nline 2\n");
  // A completed stream leaves the connection reusable.
  ASSERT_TRUE(client.request("GET", "/again"));
  EXPECT_EQ(server->connections(), 1);
}

TEST(ClientStream, ErrorBodyIsReturnedNotStreamed) {
  auto server = TestServer::start_tcp([](const ReceivedRequest&, Connection& connection) {
    connection.respond(404, R"({"error":{"code":"not_found","message":"no agenda a9"}})");
  });
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  int calls = 0;
  auto response = client.stream({.target = "/v1/agendas/a9/watch"}, [&](std::string_view) {
    ++calls;
    return true;
  });
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 404);
  EXPECT_NE(response->body.find("no agenda a9"), std::string::npos);
  EXPECT_EQ(calls, 0);
}

TEST(ClientStream, IdleTimeoutEndsAQuietStream) {
  auto server = TestServer::start_tcp([](const ReceivedRequest&, Connection& connection) {
    connection.start_chunked(200);
    connection.send_chunk("hello\n");
    connection.wait_for_client_close();
  });
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  std::string body;
  const auto start = std::chrono::steady_clock::now();
  auto response = client.stream({.target = "/watch"},
                                [&](std::string_view chunk) {
                                  body += chunk;
                                  return true;
                                },
                                {.idle_timeout = 300ms});
  ASSERT_FALSE(response);
  EXPECT_EQ(body, "hello\n");
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(response.error().message.find("no data for 300 ms"), std::string::npos)
      << response.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(ClientStream, ThrowingHandlerBecomesAnInternalError) {
  auto server = TestServer::start_tcp([](const ReceivedRequest&, Connection& connection) {
    connection.start_chunked(200);
    connection.send_chunk("x");
    connection.wait_for_client_close();
  });
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  auto response = client.stream({.target = "/watch"}, [](std::string_view) -> bool {
    throw std::runtime_error("bad event");
  });
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kInternal);
  EXPECT_NE(response.error().message.find("bad event"), std::string::npos);
}

TEST(ClientCancel, AnotherThreadUnblocksALongRequestPromptly) {
  auto server = TestServer::start_tcp([](const ReceivedRequest&, Connection& connection) {
    connection.wait_for_client_close(60s);
  });
  ASSERT_TRUE(server);
  ClientOptions options = options_for(*server);
  options.request_timeout = 60s;
  Client client = make_client(options);
  Canceller canceller = client.canceller();
  std::chrono::steady_clock::time_point cancelled_at;
  std::thread canceller_thread([&] {
    // Cancel only once the request is certainly in flight.
    if (!server->wait_for_requests(1)) return;
    // Not synchronisation (the request is known to be in flight): libcurl's own timers end
    // its first waits within ~200 ms, which would hide a cancel that fails to wake the
    // client. Past them, only the wake-up (or the 5 s safety poll) ends the wait.
    std::this_thread::sleep_for(500ms);
    cancelled_at = std::chrono::steady_clock::now();
    canceller.cancel();
  });
  auto response = client.request("GET", "/v1/pull");
  const auto returned_at = std::chrono::steady_clock::now();
  canceller_thread.join();
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(response.error().message.find("cancelled"), std::string::npos)
      << response.error().message;
  // Far below the transfer's safety poll: the cancel woke the client, it did not wait.
  EXPECT_LT(returned_at - cancelled_at, 1s);
  EXPECT_TRUE(server->wait_for_closed_connections(1));
}

TEST(ClientCancel, CancelsAStreamAndStaysCancelledUntilReset) {
  Progress streaming;
  auto server = TestServer::start_tcp([&](const ReceivedRequest& request, Connection& connection) {
    if (request.target == "/after") {
      connection.respond(200, "ok");
      return;
    }
    connection.start_chunked(200);
    connection.send_chunk("first");
    connection.wait_for_client_close(60s);
    connection.close_after();
  });
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  std::chrono::steady_clock::time_point cancelled_at;
  std::thread canceller_thread([&, canceller = client.canceller()] {
    if (!streaming.wait_for(1)) return;
    cancelled_at = std::chrono::steady_clock::now();
    canceller.cancel();
  });
  auto response = client.stream({.target = "/follow"}, [&](std::string_view) {
    streaming.advance();
    return true;
  });
  const auto returned_at = std::chrono::steady_clock::now();
  canceller_thread.join();
  EXPECT_LT(returned_at - cancelled_at, 1s);
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().message.find("cancelled"), std::string::npos);

  auto refused = client.request("GET", "/after");
  ASSERT_FALSE(refused);  // sticky: a cancel just before a request is not lost
  EXPECT_EQ(server->requests().size(), 1u);
  client.canceller().reset();
  auto after = client.request("GET", "/after");
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->body, "ok");
}

TEST(ClientCancel, CancellerOutlivesTheClient) {
  Canceller canceller = [] {
    Client client = make_client({.base_url = "http://127.0.0.1:1", .proxy = ""});
    return client.canceller();
  }();
  canceller.cancel();  // nothing to wake; must not touch the freed handles
  EXPECT_TRUE(canceller.cancelled());
}

}  // namespace
}  // namespace pop::http_client
