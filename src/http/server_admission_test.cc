// Deciding on a request from its head: what is refused is answered without its body being
// read, admission runs off the event loop, each route takes its own amount of body, bodies
// share one memory budget, and connections are capped per client address.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "http/server.h"
#include "http/server_test_fixture.h"
#include "testing/subprocess.h"

namespace pop::http::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

// POST /upload (guarded, 1 MiB of body) and /tiny (guarded, 100 bytes), GET /healthz (open)
// and /slow (guarded). The gate refuses a request without Authorization, sleeps a second
// for "Authorization: slow", and counts its calls.
class ServerAdmissionTest : public ServerTest {
 protected:
  Router router() {
    Router router;
    EXPECT_TRUE(router.add(
        "GET", "/healthz",
        [](const HttpRequest&) {
          return json_response(200, {{"ok", true}});
        },
        Access::kOpen));
    EXPECT_TRUE(router.add(
        "POST", "/upload",
        [](const HttpRequest& request) {
          return json_response(200, {{"received", request.body.size()}});
        },
        BodyLimit{1 << 20}));
    EXPECT_TRUE(router.add(
        "POST", "/tiny", [](const HttpRequest&) { return json_response(200, {}); },
        BodyLimit{100}));
    router.set_gate([this](HttpRequest& request) -> std::optional<HttpResponse> {
      ++gate_calls_;
      const auto authorization = request.header("Authorization");
      if (!authorization) {
        return error_response(Error{ErrorCode::kUnauthenticated, "who are you?", {}},
                              request.correlation_id);
      }
      if (*authorization == "slow") std::this_thread::sleep_for(std::chrono::seconds(1));
      return std::nullopt;
    });
    return router;
  }

  std::atomic<int> gate_calls_{0};
};

TEST_F(ServerAdmissionTest, RefusedRequestIsAnsweredWithoutReadingItsBody) {
  start_admitting(router(), test_options());
  auto client = connect();
  // Declares 512 KiB, sends none of it: the 401 cannot have waited for the body.
  ASSERT_TRUE(client->send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 524288\r\n\r\n"));
  auto response = client->read_response(2s);
  ASSERT_TRUE(response) << client->error();
  EXPECT_EQ(response->status, 401);
  EXPECT_EQ(response->headers.get("Connection"), "close");
  EXPECT_TRUE(client->wait_closed());

  // Refused with no body to skip, the connection stays open.
  auto keep = connect();
  ASSERT_TRUE(keep->send(http_request("GET", "/nowhere") + http_request("GET", "/healthz")));
  auto missing = keep->read_response();
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto health = keep->read_response();
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(ServerAdmissionTest, AdmittedRequestPassesTheGateOnceAndItsBodyIsRead) {
  start_admitting(router(), test_options());
  auto response = round_trip(
      http_request("POST", "/upload", "Authorization: ok\r\n", std::string(300'000, 'b')));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(body_json(*response)["received"], 300'000);
  EXPECT_EQ(gate_calls_.load(), 1);

  // Expect: 100-continue is answered only once the request is admitted.
  auto stranger = connect();
  ASSERT_TRUE(stranger->send(
      "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto line = stranger->read_raw_line(2s);
  ASSERT_TRUE(line) << stranger->error();
  EXPECT_EQ(line->substr(0, 12), "HTTP/1.1 401");
}

TEST_F(ServerAdmissionTest, AdmissionDoesNotStallTheEventLoop) {
  ServerOptions options = test_options();
  options.threads = 1;
  start_admitting(router(), options);
  auto slow = connect();
  ASSERT_TRUE(slow->send(http_request("POST", "/upload", "Authorization: slow\r\n", "x")));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // its gate is sleeping now
  const auto began = SteadyClock::now();
  auto health = round_trip(http_request("GET", "/healthz"));
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_LT(SteadyClock::now() - began, std::chrono::milliseconds(700));
  auto answered = slow->read_response();
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->status, 200);
}

TEST_F(ServerAdmissionTest, EachRouteRefusesABodyOverItsLimitNamingIt) {
  start_admitting(router(), test_options());
  auto declared = connect();
  ASSERT_TRUE(declared->send(
      "POST /tiny HTTP/1.1\r\nHost: t\r\nAuthorization: ok\r\nContent-Length: 101\r\n\r\n"));
  auto response = declared->read_response(2s);
  ASSERT_TRUE(response) << declared->error();
  EXPECT_EQ(response->status, 413);
  EXPECT_NE(expect_error_shape(*response, "too_large")["message"].get<std::string>().find(
                "limit of 100 bytes"),
            std::string::npos);

  auto chunked = connect();
  ASSERT_TRUE(chunked->send(
      "POST /tiny HTTP/1.1\r\nHost: t\r\nAuthorization: ok\r\nTransfer-Encoding: chunked\r\n\r\n"
      "40\r\n" +
      std::string(64, 'x') + "\r\n40\r\n" + std::string(64, 'x') + "\r\n"));
  auto cut = chunked->read_response(2s);
  ASSERT_TRUE(cut) << chunked->error();
  EXPECT_EQ(cut->status, 413);

  auto within = round_trip(http_request("POST", "/tiny", "Authorization: ok\r\n", "{}"));
  ASSERT_TRUE(within);
  EXPECT_EQ(within->status, 200);
}

TEST_F(ServerAdmissionTest, BodiesBeyondTheMemoryBudgetAre503WithRetryAfter) {
  ServerOptions options = test_options();
  options.max_body_memory_bytes = 256 * 1024;
  start_admitting(router(), options);
  // One body holds 200 KiB of the budget while its sender waits...
  auto holder = connect();
  ASSERT_TRUE(holder->send(
      "POST /upload HTTP/1.1\r\nHost: t\r\nAuthorization: ok\r\nContent-Length: 300000\r\n\r\n" +
      std::string(200 * 1024, 'h')));
  ASSERT_TRUE(pop::testing::eventually(
      [&] { return server_->body_memory_reserved() >= 200 * 1024; }, std::chrono::seconds(10)))
      << "the holder's body took " << server_->body_memory_reserved() << " bytes of the budget";
  // ... so another of 100 KiB does not fit.
  auto refused = connect();
  ASSERT_TRUE(
      refused->send("POST /upload HTTP/1.1\r\nHost: t\r\nAuthorization: ok\r\nTransfer-Encoding: "
                    "chunked\r\n\r\n" +
                    std::string("19000\r\n") + std::string(100 * 1024, 'r') + "\r\n"));
  auto response = refused->read_response(2s);
  ASSERT_TRUE(response) << refused->error();
  EXPECT_EQ(response->status, 503);
  expect_error_shape(*response, "unavailable");
  EXPECT_EQ(response->headers.get("Retry-After"), "1");
  EXPECT_TRUE(refused->wait_closed());

  // The holder's share comes back when it goes; bodies that fit one after another all pass,
  // so each gives its share back once handled.
  holder->close();
  ASSERT_TRUE(pop::testing::eventually([&] { return server_->body_memory_reserved() == 0; },
                                       std::chrono::seconds(10)))
      << server_->body_memory_reserved() << " bytes of the budget still held";
  for (int i = 0; i < 5; ++i) {
    auto passed = round_trip(
        http_request("POST", "/upload", "Authorization: ok\r\n", std::string(200 * 1024, 'p')));
    ASSERT_TRUE(passed);
    EXPECT_EQ(passed->status, 200) << passed->body;
  }
}

TEST_F(ServerAdmissionTest, ConnectionsPerAddressAreCappedWithAQuick503) {
  ServerOptions options = test_options();
  options.max_connections_per_address = 2;
  start_admitting(router(), options);
  auto first = connect();
  auto second = connect();
  for (auto* held : {first.get(), second.get()}) {
    ASSERT_TRUE(held->send(http_request("GET", "/healthz")));
    ASSERT_TRUE(held->read_response());
  }
  // The third from the same address is told at once, before it sends anything.
  const auto began = SteadyClock::now();
  auto third = connect();
  auto shed = third->read_response(2s);
  ASSERT_TRUE(shed) << third->error();
  EXPECT_EQ(shed->status, 503);
  EXPECT_NE(expect_error_shape(*shed, "unavailable")["message"].get<std::string>().find(
                "2 per client address"),
            std::string::npos);
  EXPECT_LT(SteadyClock::now() - began, std::chrono::seconds(1));
  // Another address is served.
  auto other = connect_from("127.0.0.2");
  ASSERT_TRUE(other->send(http_request("GET", "/healthz")));
  auto served = other->read_response();
  ASSERT_TRUE(served);
  EXPECT_EQ(served->status, 200);
}

TEST_F(ServerAdmissionTest, SilentConnectionsGoAfterTheFirstRequestTimeout) {
  ServerOptions options = test_options();
  options.first_request_timeout = std::chrono::milliseconds(300);
  options.idle_timeout = std::chrono::seconds(30);
  start_admitting(router(), options);
  auto silent = connect();
  const auto began = SteadyClock::now();
  EXPECT_TRUE(silent->wait_closed(5s));
  EXPECT_LT(SteadyClock::now() - began, std::chrono::seconds(3));
  // After a first request, the longer keep-alive idle timeout applies.
  auto talker = connect();
  ASSERT_TRUE(talker->send(http_request("GET", "/healthz")));
  ASSERT_TRUE(talker->read_response());
  EXPECT_FALSE(talker->wait_closed(std::chrono::milliseconds(800)));
}

TEST_F(ServerAdmissionTest, HeadOfAStreamedGetIsItsHeadOnly) {
  Router router;
  std::atomic<int> cancelled{0};
  // A watch: streams and keeps its responder (in the parking lot) to write more later.
  ASSERT_TRUE(router.add_async("GET", "/watch",
                               [this, &cancelled](HttpRequest request, Responder responder) {
                                 responder.on_cancel([&cancelled](CancelReason) { ++cancelled; });
                                 responder.start_stream(200, {});
                                 responder.write("event\n");
                                 lot_.handler()(std::move(request), std::move(responder));
                               }));
  start_admitting(router, test_options());
  auto client = connect();
  ASSERT_TRUE(client->send(http_request("HEAD", "/watch")));
  auto head = client->read_response(2s, true);
  ASSERT_TRUE(head) << client->error();
  EXPECT_EQ(head->status, 200);
  // Nothing follows the head: the next request is answered next.
  ASSERT_TRUE(client->send(http_request("HEAD", "/watch")));
  auto again = client->read_response(2s, true);
  ASSERT_TRUE(again) << client->error();
  EXPECT_EQ(again->status, 200);
  // Each handler learnt that its stream is not wanted.
  EXPECT_EQ(cancelled.load(), 2);
  EXPECT_FALSE(lot_.at(0).responder.write("more\n"));
}

// The handler's text reaches the logger as one event; escaping it is the line-writing
// logger's part (util/stream_logger_test.cc, RequestDataCannotForgeALine).
TEST_F(ServerAdmissionTest, ForbiddenTransferCodingIs501AndHandlerTextIsLoggedAsOneEvent) {
  Router router;
  ASSERT_TRUE(router.add("POST", "/throw", [](const HttpRequest&) -> HttpResponse {
    throw std::runtime_error("line one\nforged line");
  }));
  start_admitting(router, test_options());
  auto coded = round_trip(
      "POST /throw HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
  ASSERT_TRUE(coded);
  EXPECT_EQ(coded->status, 501);
  expect_error_shape(*coded, "not_implemented");

  auto thrown = round_trip(http_request("POST", "/throw", "", "{}"));
  ASSERT_TRUE(thrown);
  EXPECT_EQ(thrown->status, 500);
  std::size_t events = 0;
  for (const auto& event : log_.events()) {
    if (event.message.find("line one\nforged line") != std::string::npos) ++events;
  }
  EXPECT_EQ(events, 1u) << all_logs();
}

}  // namespace
}  // namespace pop::http::testing
