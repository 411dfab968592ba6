// The log follower against a scripted engine on a Unix socket, which can break a follow
// mid-frame, end it while the container still runs, keep it open after the container stopped,
// or refuse it: what a real engine does
// only when it restarts or is misconfigured. The real engine's follow is shown by the
// container tests (docker_runner_container_test.cc, docker_e2e_container_test.cc).
#include "runner/docker/container_log_follower.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http_client/test_server.h"
#include "util/call_counts.h"
#include "util/clock.h"
#include "util/temp_dir.h"

namespace pop {
namespace {

using http_client::testing::Connection;
using http_client::testing::ReceivedRequest;
using http_client::testing::TestServer;

constexpr char kLogsTarget[] = "/v1.41/containers/c1/logs?follow=1&stdout=1&stderr=1";
constexpr char kPlainLogsTarget[] = "/v1.41/containers/c1/logs?stdout=1&stderr=1";
constexpr char kInspectTarget[] = "/v1.41/containers/c1/json";

// One write of the container as the engine frames it: stream (1 stdout, 2 stderr), three
// zero bytes, the size big-endian, the bytes.
std::string frame(int stream, const std::string& bytes) {
  std::string header(8, '\0');
  header[0] = static_cast<char>(stream);
  for (int i = 0; i < 4; ++i) header[7 - i] = static_cast<char>((bytes.size() >> (8 * i)) & 0xff);
  return header + bytes;
}

class ContainerLogFollowerTest : public ::testing::Test {
 protected:
  // The engine answers each followed logs request with follows_[n] (n counting from 0), a
  // plain one with `whole_log` (frames), and every inspect with the container running while
  // `running_inspects_` lasts.
  using Follow = std::function<void(Connection&)>;

  void start_engine(std::vector<Follow> follows, int running_inspects = 0,
                    std::string whole_log = "") {
    follows_ = std::move(follows);
    running_inspects_ = running_inspects;
    whole_log_ = std::move(whole_log);
    engine_ =
        TestServer::start_unix(socket_, [this](const ReceivedRequest& request, Connection& peer) {
          if (request.target == kInspectTarget) {
            const bool running = running_inspects_-- > 0;
            peer.respond(200, std::string(R"({"State": {"Running": )") +
                                  (running ? "true" : "false") + "}}");
          } else if (request.target == kLogsTarget && logs_asked_ < follows_.size()) {
            follows_[logs_asked_++](peer);
          } else if (request.target == kPlainLogsTarget) {
            peer.respond(200, whole_log_);
          } else {
            peer.respond(500, R"({"message": "unexpected request"})");
          }
        });
    ASSERT_NE(engine_, nullptr);
  }

  std::unique_ptr<ContainerLogFollower> follow() {
    auto engine = docker::DockerEngine::connect("unix://" + socket_, &calls_);
    EXPECT_TRUE(engine.has_value());
    return std::make_unique<ContainerLogFollower>(
        std::move(*engine), "c1",
        [this](std::string_view output) {
          {
            std::lock_guard lock(mutex_);
            output_.append(output);
          }
          output_grew_.notify_all();
        },
        clock_);
  }

  std::string output() {
    std::lock_guard lock(mutex_);
    return output_;
  }

  bool await_output(const std::string& expected) {
    std::unique_lock lock(mutex_);
    return output_grew_.wait_for(lock, std::chrono::seconds(30),
                                 [&] { return output_ == expected; });
  }

  // Lets the follower's pause before its next read pass.
  void pass_pause() {
    ASSERT_TRUE(clock_.await_waiters(1));
    clock_.advance(std::chrono::seconds(2));
  }

  std::uint64_t calls(const std::string& what, int status) const {
    for (const auto& count : calls_.snapshot())
      if (count.what == what && count.status == status) return count.calls;
    return 0;
  }

  TempDir dir_ = *TempDir::create("log-follower-test-");
  const std::string socket_ = (dir_.path() / "engine.sock").string();
  ManualClock clock_;
  CallCounts calls_;
  std::vector<Follow> follows_;
  std::atomic<int> running_inspects_ = 0;
  std::atomic<std::size_t> logs_asked_ = 0;
  std::string whole_log_;
  std::unique_ptr<TestServer> engine_;
  std::mutex mutex_;
  std::condition_variable output_grew_;
  std::string output_;
};

TEST_F(ContainerLogFollowerTest, ABrokenFollowResumesWithoutRepeatingOrLosingOutput) {
  start_engine({[](Connection& peer) {
                  peer.start_chunked(200);
                  // Broken in the middle of the third write's bytes.
                  peer.send_chunk(frame(1, "one\n") + frame(2, "two\n") +
                                  frame(1, "three\n").substr(0, 11));
                  peer.close_after();
                },
                [](Connection& peer) {
                  peer.start_chunked(200);
                  peer.send_chunk(frame(1, "one\n") + frame(2, "two\n"));
                  peer.send_chunk(frame(1, "three\n") + frame(2, "four\n"));
                  peer.end_chunks();
                }});
  auto follower = follow();
  pass_pause();
  EXPECT_TRUE(follower->finish());
  EXPECT_EQ(output(), "one\ntwo\nthree\nfour\n");
  EXPECT_EQ(follower->delivered(), output().size());
  // Both reads and the look that showed the container stopped are counted.
  EXPECT_EQ(calls("logs", 0), 1u);
  EXPECT_EQ(calls("logs", 200), 1u);
  EXPECT_EQ(calls("inspect", 200), 1u);
}

TEST_F(ContainerLogFollowerTest, AFollowEndedWhileTheContainerRunsIsResumed) {
  start_engine({[](Connection& peer) {
                  peer.start_chunked(200);
                  peer.send_chunk(frame(1, "before the engine restarted\n"));
                  peer.end_chunks();
                },
                [](Connection& peer) {
                  peer.start_chunked(200);
                  peer.send_chunk(frame(1, "before the engine restarted\n") + frame(1, "after\n"));
                  peer.end_chunks();
                }},
               1);
  auto follower = follow();
  pass_pause();
  EXPECT_TRUE(follower->finish());
  EXPECT_EQ(output(), "before the engine restarted\nafter\n");
  EXPECT_EQ(calls("inspect", 200), 2u);
}

TEST_F(ContainerLogFollowerTest, AFollowLeftOpenAfterTheContainerStoppedIsCompletedByAPlainRead) {
  // The engine never ends the follow (moby#16463); its log has the followed bytes and more.
  start_engine({[](Connection& peer) {
                 peer.start_chunked(200);
                 peer.send_chunk(frame(1, "one\n") + frame(2, "tw"));
                 (void)peer.wait_for_client_close();
               }},
               0, frame(1, "one\n") + frame(2, "two\n") + frame(1, "three\n"));
  auto follower = follow();
  ASSERT_TRUE(await_output("one\ntw"));
  std::promise<Result<void>> finished;
  auto result = finished.get_future();
  std::thread finisher([&] { finished.set_value(follower->finish()); });
  // No output comes during the first quiet period, so finish() ends the follow after it;
  // without a bound it never waits on the clock, and never returns.
  if (clock_.await_waiters(1)) clock_.advance(ContainerLogFollower::kEndQuiet);
  const bool returned = result.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  if (!returned) follower->stop();
  finisher.join();
  EXPECT_TRUE(returned);
  EXPECT_TRUE(result.get());
  EXPECT_EQ(output(), "one\ntwo\nthree\n");
  EXPECT_EQ(follower->delivered(), output().size());
}

TEST_F(ContainerLogFollowerTest, StopEndsAFollowThatWouldNotEnd) {
  std::atomic<bool> client_left = false;
  start_engine({[&](Connection& peer) {
    peer.start_chunked(200);
    peer.send_chunk(frame(1, "running\n"));
    client_left = peer.wait_for_client_close();
  }});
  auto follower = follow();
  ASSERT_TRUE(engine_->wait_for_requests(1));
  follower->stop();
  EXPECT_TRUE(follower->finish());
  follower.reset();
  EXPECT_TRUE(engine_->wait_for_closed_connections(1));
  EXPECT_TRUE(client_left);
  EXPECT_EQ(engine_->requests().size(), 1u);
}

TEST_F(ContainerLogFollowerTest, AContainerThatIsGoneIsNotAskedForAgain) {
  start_engine(
      {[](Connection& peer) { peer.respond(404, R"({"message": "No such container: c1"})"); }});
  auto follower = follow();
  auto finished = follower->finish();
  ASSERT_FALSE(finished);
  EXPECT_EQ(finished.error().message, "read container logs: No such container: c1");
  EXPECT_EQ(engine_->requests().size(), 1u);
}

TEST_F(ContainerLogFollowerTest, AnEngineThatIsGoneIsGivenUpAfterAFewReads) {
  auto follower = follow();  // nothing listens on the socket
  for (int pause = 1; pause < ContainerLogFollower::kMaxFailedReads; ++pause) pass_pause();
  auto finished = follower->finish();
  ASSERT_FALSE(finished);
  EXPECT_NE(finished.error().message.find(socket_), std::string::npos) << finished.error().message;
  // The followed reads, then the plain read that would have completed the log.
  EXPECT_EQ(calls("logs", 0),
            static_cast<std::uint64_t>(ContainerLogFollower::kMaxFailedReads) + 1);
  EXPECT_EQ(output(), "");
}

TEST_F(ContainerLogFollowerTest, AFollowThatGaveUpIsCompletedByAPlainRead) {
  std::vector<Follow> follows(ContainerLogFollower::kMaxFailedReads, [](Connection& peer) {
    peer.start_chunked(200);
    peer.send_chunk(frame(1, "one\n"));
    peer.close_after();  // broken before the end, every time
  });
  start_engine(std::move(follows), 0, frame(1, "one\n") + frame(2, "two\n"));
  auto follower = follow();
  for (int pause = 1; pause < ContainerLogFollower::kMaxFailedReads; ++pause) pass_pause();
  EXPECT_TRUE(follower->finish());
  EXPECT_EQ(output(), "one\ntwo\n");
  EXPECT_EQ(calls("logs", 0), static_cast<std::uint64_t>(ContainerLogFollower::kMaxFailedReads));
  EXPECT_EQ(calls("logs", 200), 1u);
}

}  // namespace
}  // namespace pop
