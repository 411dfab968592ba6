// Handlers that answer later, stream, or are cancelled: long-polls, watches, clients that
// leave, and stop() with requests in flight.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "http/server.h"
#include "http/server_test_fixture.h"

namespace pop::http::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

class ServerAsyncTest : public ServerTest {
 protected:
  Router parking_router() {
    Router router;
    EXPECT_TRUE(router.add_async("GET", "/poll", lot_.handler()));
    EXPECT_TRUE(router.add("GET", "/healthz", [](const HttpRequest&) {
      return json_response(200, {{"status", "ok"}});
    }));
    return router;
  }
};

TEST_F(ServerAsyncTest, AnswersFromAnotherThreadLater) {
  start(parking_router());
  auto client = connect();
  ASSERT_TRUE(client->send(http_request("GET", "/poll", "X-Correlation-Id: late-1\r\n")));
  ASSERT_TRUE(lot_.wait_for(1));
  EXPECT_EQ(lot_.at(0).responder.correlation_id(), "late-1");
  std::thread answerer([this] {
    EXPECT_TRUE(lot_.at(0).responder.send(json_response(200, {{"late", true}})));
    EXPECT_FALSE(lot_.at(0).responder.send(json_response(200, {})));  // only once
  });
  answerer.join();
  auto response = client->read_response();
  ASSERT_TRUE(response) << client->error();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(body_json(*response)["late"], true);
  EXPECT_EQ(response->headers.get("X-Correlation-Id"), "late-1");

  ASSERT_TRUE(client->send(http_request("GET", "/healthz")));  // keep-alive continues
  auto next = client->read_response();
  ASSERT_TRUE(next) << client->error();
  EXPECT_EQ(next->status, 200);
}

TEST_F(ServerAsyncTest, StreamsChunkByChunk) {
  start(parking_router());
  auto client = connect();
  ASSERT_TRUE(client->send(http_request("GET", "/poll")));
  ASSERT_TRUE(lot_.wait_for(1));
  Responder& responder = lot_.at(0).responder;
  Headers headers;
  headers.set("Content-Type", "application/x-ndjson");
  ASSERT_TRUE(responder.start_stream(200, headers));
  EXPECT_FALSE(responder.send(json_response(200, {})));

  auto head = client->read_head();
  ASSERT_TRUE(head) << client->error();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers.get("Transfer-Encoding"), "chunked");
  EXPECT_EQ(head->headers.get("Content-Type"), "application/x-ndjson");
  EXPECT_TRUE(head->headers.contains("X-Correlation-Id"));
  for (int i = 0; i < 3; ++i) {
    const std::string event = "{\"event\":" + std::to_string(i) + "}\n";
    ASSERT_TRUE(responder.write(event));
    EXPECT_EQ(client->read_chunk(), event);  // each arrives before the next is produced
  }
  EXPECT_TRUE(responder.write(""));  // ignored: an empty chunk would end the body
  ASSERT_TRUE(responder.end());
  EXPECT_FALSE(responder.write("late"));
  EXPECT_FALSE(responder.end());
  EXPECT_EQ(client->read_chunk(), "");

  ASSERT_TRUE(client->send(http_request("GET", "/healthz")));
  auto next = client->read_response();
  ASSERT_TRUE(next) << client->error();
  EXPECT_EQ(next->status, 200);
}

TEST_F(ServerAsyncTest, StreamsProducedInsideTheHandler) {
  Router router;
  ASSERT_TRUE(router.add_async("GET", "/inline", [](HttpRequest, Responder responder) {
    responder.start_stream(200);
    responder.write("a");
    responder.write("bc");
    responder.end();
  }));
  start(router);
  auto response = round_trip(http_request("GET", "/inline"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "abc");
}

TEST_F(ServerAsyncTest, StreamOverHttp10EndsWithTheConnection) {
  Router router;
  ASSERT_TRUE(router.add_async("GET", "/inline", [](HttpRequest, Responder responder) {
    responder.start_stream(200);
    responder.write("old ");
    responder.write("style");
  }));  // the responder goes away: the stream ends
  start(router);
  auto client = connect();
  ASSERT_TRUE(client->send("GET /inline HTTP/1.0\r\n\r\n"));
  auto response = client->read_response();
  ASSERT_TRUE(response) << client->error();
  EXPECT_FALSE(response->headers.contains("Transfer-Encoding"));
  EXPECT_EQ(response->body, "old style");
}

TEST_F(ServerAsyncTest, DroppedResponderGets500) {
  Router router;
  ASSERT_TRUE(router.add_async("GET", "/forgetful", [](HttpRequest, Responder) {}));
  start(router);
  auto response = round_trip(http_request("GET", "/forgetful"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  expect_error_shape(*response, "internal");
  EXPECT_NE(all_logs().find("dropped its Responder"), std::string::npos);
}

TEST_F(ServerAsyncTest, ClientLeavingCancelsTheLongPoll) {
  start(parking_router());
  auto client = connect();
  ASSERT_TRUE(client->send(http_request("GET", "/poll")));
  ASSERT_TRUE(lot_.wait_for(1));
  // Shared with the callback, which the server may still run after a failed assertion.
  auto cancelled = std::make_shared<Signal>();
  auto reason = std::make_shared<std::atomic<int>>(-1);
  lot_.at(0).responder.on_cancel([cancelled, reason](CancelReason why) {
    *reason = static_cast<int>(why);
    cancelled->notify();
  });
  client->close();
  ASSERT_TRUE(cancelled->wait());
  EXPECT_EQ(*reason, static_cast<int>(CancelReason::kClientGone));
  EXPECT_TRUE(lot_.at(0).responder.cancelled());
}

TEST_F(ServerAsyncTest, StopCancelsLongPollsWhichMayStillAnswer) {
  Signal entered;
  Router router;
  ASSERT_TRUE(router.add_async("GET", "/poll", [&](HttpRequest, Responder responder) {
    // The callback holds a copy of the responder: the exchange must release it.
    responder.on_cancel([responder](CancelReason why) mutable {
      responder.send(json_response(200, {{"stopping", why == CancelReason::kServerStopping}}));
    });
    entered.notify();
  }));
  ASSERT_TRUE(router.add("GET", "/healthz",
                         [](const HttpRequest&) { return json_response(200, Json::object()); }));
  start(router);
  auto polling = connect();
  ASSERT_TRUE(polling->send(http_request("GET", "/poll")));
  auto idle = connect();
  ASSERT_TRUE(idle->send(http_request("GET", "/healthz")));
  ASSERT_TRUE(idle->read_response());
  ASSERT_TRUE(entered.wait());

  const auto began = SteadyClock::now();
  server_->stop();
  EXPECT_LT(SteadyClock::now() - began, std::chrono::seconds(5));
  auto response = polling->read_response();
  ASSERT_TRUE(response) << polling->error();
  EXPECT_EQ(body_json(*response)["stopping"], true);
  EXPECT_EQ(response->headers.get("Connection"), "close");
  EXPECT_TRUE(polling->wait_closed());
  EXPECT_TRUE(idle->wait_closed());  // idle keep-alive connections are closed at once
}

TEST_F(ServerAsyncTest, StopClosesLongPollsThatNeverAnswerAfterTheGrace) {
  ServerOptions options = test_options();
  options.stop_grace = std::chrono::milliseconds(200);
  start(parking_router(), options);
  auto client = connect();
  ASSERT_TRUE(client->send(http_request("GET", "/poll")));
  ASSERT_TRUE(lot_.wait_for(1));
  const auto began = SteadyClock::now();
  server_->stop();
  EXPECT_LT(SteadyClock::now() - began, std::chrono::seconds(5));
  EXPECT_TRUE(lot_.at(0).responder.cancelled());
  EXPECT_FALSE(client->read_response());
  EXPECT_TRUE(client->wait_closed());
  // Responders outliving the server are inert.
  EXPECT_FALSE(lot_.at(0).responder.send(json_response(200, {})));
  server_.reset();
  EXPECT_FALSE(lot_.at(0).responder.send(json_response(200, {})));
  lot_.clear();
}

TEST_F(ServerAsyncTest, RequestArrivingDuringStopSeesItselfCancelled) {
  std::atomic<bool> cancelled_at_entry{false};
  Router router;
  ASSERT_TRUE(router.add_async("POST", "/poll", [&](HttpRequest, Responder responder) {
    cancelled_at_entry = responder.cancelled();
    responder.on_cancel(
        [responder](CancelReason) mutable { responder.send(json_response(503, {})); });
  }));
  ASSERT_TRUE(router.add("GET", "/healthz",
                         [](const HttpRequest&) { return json_response(200, Json::object()); }));
  start(router);
  // The interim 100 proves the server has read the header and is waiting for the body:
  // this connection is busy, not idle, when stop() begins.
  auto client = connect();
  ASSERT_TRUE(client->send(
      "POST /poll HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
  ASSERT_EQ(client->read_raw_line(), "HTTP/1.1 100 Continue");
  ASSERT_EQ(client->read_raw_line(), "");
  auto idle = connect();
  ASSERT_TRUE(idle->send(http_request("GET", "/healthz")));
  ASSERT_TRUE(idle->read_response());

  std::thread stopper([this] { server_->stop(); });
  EXPECT_TRUE(idle->wait_closed());  // stop() has begun
  ASSERT_TRUE(client->send("{}"));
  auto response = client->read_response();
  stopper.join();
  ASSERT_TRUE(response) << client->error();
  EXPECT_EQ(response->status, 503);
  EXPECT_TRUE(cancelled_at_entry);
}

TEST_F(ServerAsyncTest, StreamTooFarAheadOfItsReaderIsCutOff) {
  ServerOptions options = test_options();
  options.max_stream_buffer_bytes = 1024;
  start(parking_router(), options);
  auto client = connect();
  ASSERT_TRUE(client->send(http_request("GET", "/poll")));
  ASSERT_TRUE(lot_.wait_for(1));
  Responder& responder = lot_.at(0).responder;
  ASSERT_TRUE(responder.start_stream(200));
  EXPECT_FALSE(responder.write(std::string(2048, 'x')));
  EXPECT_FALSE(responder.write("more"));
  // The head may or may not have gone out before the cut; the body never completes.
  EXPECT_FALSE(client->read_response());
  EXPECT_NE(client->error(), "timeout");
}

TEST_F(ServerAsyncTest, ClientThatStopsReadingIsCutOffByTheWriteTimeout) {
  ServerOptions options = test_options();
  options.write_timeout = std::chrono::milliseconds(300);
  options.max_stream_buffer_bytes = 256u << 20;
  start(parking_router(), options);
  auto client = connect();
  ASSERT_TRUE(client->send(http_request("GET", "/poll")));
  ASSERT_TRUE(lot_.wait_for(1));
  Responder& responder = lot_.at(0).responder;
  ASSERT_TRUE(responder.start_stream(200));
  auto cancelled = std::make_shared<Signal>();
  responder.on_cancel([cancelled](CancelReason) { cancelled->notify(); });
  // The client never reads: far more than the socket buffers hold is queued, so a write
  // stalls past the timeout and the server closes the connection.
  const std::string megabyte(1 << 20, 'x');
  const auto began = SteadyClock::now();
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(responder.write(megabyte));
  EXPECT_TRUE(cancelled->wait());
  EXPECT_FALSE(responder.write(megabyte));
  EXPECT_LT(SteadyClock::now() - began, std::chrono::seconds(30));
}

TEST_F(ServerAsyncTest, TwoHundredConcurrentLongPolls) {
  ServerOptions options = test_options();
  start(parking_router(), options);
  constexpr int kClients = 200;
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(connect());
    ASSERT_TRUE(clients.back()->send(
        http_request("GET", "/poll", "X-Correlation-Id: c" + std::to_string(i) + "\r\n")));
  }
  // Every request is held by the handler at the same time before any is answered.
  ASSERT_TRUE(lot_.wait_for(kClients));
  std::thread answerer([this] {
    for (int i = 0; i < kClients; ++i) {
      auto& parked = lot_.at(static_cast<std::size_t>(i));
      parked.responder.send(json_response(200, {{"id", parked.request.correlation_id}}));
    }
  });
  for (int i = 0; i < kClients; ++i) {
    auto response = clients[static_cast<std::size_t>(i)]->read_response();
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(body_json(*response)["id"], "c" + std::to_string(i));
  }
  answerer.join();
}

}  // namespace
}  // namespace pop::http::testing
