// Following a Pod's log and completing it at the end, against a test server that plays the
// API server's pods/log: a follow that ends early is resumed without writing anything twice,
// and the final read appends only what the follow had not written.
#include "runner/kubernetes/pod_log_follower.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <string>

#include "http_client/test_server.h"
#include "runner/kubernetes/pod_log_collector.h"
#include "testing/file_contents.h"
#include "testing/recording_listener.h"
#include "util/clock.h"
#include "util/temp_dir.h"

namespace pop::kubernetes_runner {
namespace {

using http_client::testing::Connection;
using http_client::testing::ReceivedRequest;
using http_client::testing::TestServer;
using namespace std::chrono_literals;

std::unique_ptr<kubernetes::KubeClient> client_of(const TestServer& server) {
  kubernetes::KubeConfig config;
  config.server = server.base_url();
  config.proxy_url = "";
  config.origin = "test";
  auto client = kubernetes::KubeClient::create(config);
  EXPECT_TRUE(client) << client.error().message;
  return std::move(*client);
}

class PodLogFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("pop-follow-");
    ASSERT_TRUE(dir.has_value());
    dir_.emplace(std::move(*dir));
    request_.log_path = dir_->path() / "attempt.log";
    request_.log_limit_bytes = 1000;
    attempt_ = std::make_unique<PodAttempt>("ns", "p", request_, listener_, system_clock().now(),
                                            system_clock().steady_now());
  }

  std::optional<TempDir> dir_;
  LaunchRequest request_;
  testing::RecordingListener listener_;
  std::unique_ptr<PodAttempt> attempt_;
};

// The first stream ends after "one" (an API server timeout); the second starts from the log's
// beginning again, as Kubernetes does, and only "two" is new.
TEST_F(PodLogFollowerTest, AFollowThatEndsEarlyIsResumedWithoutRepeating) {
  std::atomic<int> streams{0};
  auto server = TestServer::start_tcp([&](const ReceivedRequest& r, Connection& c) {
    EXPECT_NE(r.target.find("follow=true"), std::string::npos) << r.target;
    c.start_chunked(200, {"Content-Type: text/plain"});
    c.send_chunk(streams.fetch_add(1) == 0 ? "one\n" : "one\ntwo\n");
    c.end_chunks();
  });
  auto client = client_of(*server);
  std::promise<void> second_ended;
  int asked = 0;
  auto follower =
      PodLogFollower::start(*client, *attempt_,
                            [&] {
                              if (++asked < 2) return true;
                              second_ended.set_value();
                              return false;
                            },
                            {.tail_bytes = 100, .retry_delay = 1ms, .clock = &system_clock()});
  ASSERT_TRUE(follower) << follower.error().message;
  ASSERT_EQ(second_ended.get_future().wait_for(10s), std::future_status::ready);
  FollowedLog followed = (*follower)->finish();
  EXPECT_EQ(followed.received, 8u);
  followed.sink.close();
  EXPECT_EQ(testing::read_file(request_.log_path), "one\ntwo\n");
  EXPECT_EQ(followed.sink.tail(), "one\ntwo\n");
}

// At the end the log is read once more; the follow had "one", the log holds "one", "two".
TEST_F(PodLogFollowerTest, TheEndAppendsOnlyWhatTheFollowLacks) {
  auto server = TestServer::start_tcp([](const ReceivedRequest& r, Connection& c) {
    EXPECT_EQ(r.target.find("follow=true"), std::string::npos) << r.target;
    c.respond(200, "one\ntwo\n", {"Content-Type: text/plain"});
  });
  auto client = client_of(*server);
  auto sink = LogSink::open(request_.log_path, request_.log_limit_bytes, 100);
  ASSERT_TRUE(sink);
  sink->append("one\n");
  const kubernetes::StopSignal abandon;
  const PodLogCollector collector(*client, abandon, 100);
  const std::string tail =
      collector.collect(*attempt_, FollowedLog{.sink = std::move(*sink), .received = 4});
  EXPECT_EQ(tail, "one\ntwo\n");
  EXPECT_EQ(testing::read_file(request_.log_path), "one\ntwo\n");
}

}  // namespace
}  // namespace pop::kubernetes_runner
