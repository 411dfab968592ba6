// Handlers that block (a durable write waiting for its sync) run on handler threads: they
// stall neither the event loop nor each other, and stop() waits for them.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "http/server.h"
#include "http/server_test_fixture.h"

namespace pop::http::testing {
namespace {

// A latch the blocking handlers wait on; shared so a handler may outlive a failed test.
struct Latch {
  std::mutex mu;
  std::condition_variable changed;
  int blocked = 0;
  bool open = false;

  void wait() {
    std::unique_lock lock(mu);
    ++blocked;
    changed.notify_all();
    changed.wait(lock, [this] { return open; });
  }
  bool wait_blocked(int count) {
    std::unique_lock lock(mu);
    return changed.wait_for(lock, std::chrono::seconds(10), [&] { return blocked >= count; });
  }
  void release() {
    std::lock_guard lock(mu);
    open = true;
    changed.notify_all();
  }
};

class ServerHandlerThreadsTest : public ServerTest {
 protected:
  void TearDown() override { latch_->release(); }

  Router blocking_router() {
    Router router;
    EXPECT_TRUE(router.add("POST", "/durable", [latch = latch_](const HttpRequest&) {
      latch->wait();
      return json_response(201, {{"stored", true}});
    }));
    EXPECT_TRUE(router.add("GET", "/healthz", [](const HttpRequest&) {
      return json_response(200, {{"status", "ok"}});
    }));
    return router;
  }

  std::shared_ptr<Latch> latch_ = std::make_shared<Latch>();
};

TEST_F(ServerHandlerThreadsTest, BlockedHandlersStallNeitherTheLoopNorEachOther) {
  ServerOptions options = test_options();
  options.threads = 1;  // one event loop: a handler blocking it would stall everything
  options.handler_threads = 8;
  start(blocking_router(), options);
  std::vector<std::unique_ptr<TestClient>> writers;
  for (int i = 0; i < 3; ++i) {
    writers.push_back(connect());
    ASSERT_TRUE(writers.back()->send(http_request("POST", "/durable")));
  }
  ASSERT_TRUE(latch_->wait_blocked(3));  // all three wait at once, as one commit's writes do

  auto health = round_trip(http_request("GET", "/healthz"));
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  latch_->release();
  for (auto& writer : writers) {
    auto response = writer->read_response();
    ASSERT_TRUE(response) << writer->error();
    EXPECT_EQ(response->status, 201);
    ASSERT_TRUE(writer->send(http_request("GET", "/healthz")));  // keep-alive continues
    auto next = writer->read_response();
    ASSERT_TRUE(next) << writer->error();
    EXPECT_EQ(next->status, 200);
  }
}

TEST_F(ServerHandlerThreadsTest, StopWaitsForHandlersStillRunning) {
  ServerOptions options = test_options();
  options.stop_grace = std::chrono::milliseconds(50);
  start(blocking_router(), options);
  auto writer = connect();
  ASSERT_TRUE(writer->send(http_request("POST", "/durable")));
  ASSERT_TRUE(latch_->wait_blocked(1));
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    server_->stop();
    stopped = true;
  });
  // Long enough for the grace to run out, so that a stop() not waiting would return here.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(stopped.load());
  latch_->release();
  stopper.join();
  EXPECT_TRUE(stopped.load());
}

TEST_F(ServerHandlerThreadsTest, RejectsAPoolWithoutThreads) {
  ServerOptions options = test_options();
  options.handler_threads = 0;
  Server server(options, Router().to_handler());
  auto started = server.start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace pop::http::testing
