// Follows one container's log while it runs (the Engine API's logs?follow=1) and hands its
// output to a consumer as it comes, so that an attempt's log file grows with the handler's
// output instead of being written once the container has exited.
//
// Each byte of the container's output reaches the consumer exactly once and in the engine's
// order, also when the follow connection breaks and is resumed: the engine replays a
// container's log from its start on every read (the json-file and local log drivers keep
// it on disk), so a resumed read skips the bytes already passed on. `since` would resume
// by time stamp instead, which repeats or loses the writes that share the stamp of the
// last one seen. The skip is exact as long as the engine still has the log's start: with
// log rotation configured in the engine (max-size), a resume after a rotation loses the
// rotated part's worth of output.
//
// The engine ends a follow when the container stops, but engines have had races where a
// follow opened around the container's exit never ends (moby#16463, docker-py#3084): so
// finish() waits only while output keeps coming, then ends the follow and completes the
// consumer's copy with one plain read of the log, skipping the bytes already passed on. The
// same read completes it when the follow gave up, or its thread could not be started.
//
// Owns a thread and one engine connection. Thread-safety: stop() may be called from any
// thread; finish() and the destructor from the owner's.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "docker/docker_engine.h"
#include "http_client/cancellation.h"
#include "util/clock.h"
#include "util/result.h"

namespace pop {

class ContainerLogFollower {
 public:
  using Consumer = std::function<void(std::string_view output)>;

  // A broken read is resumed after a pause that doubles from kFirstPause; after this many
  // failed reads in a row without new output the engine is taken to be gone (its wait for
  // the container has failed too, by then).
  static constexpr int kMaxFailedReads = 5;
  static constexpr std::chrono::milliseconds kFirstPause{100};
  // How long finish() waits for the follow to end while no new output comes.
  static constexpr std::chrono::seconds kEndQuiet{5};

  // Starts following container `id` (started, running or stopped) at once, over `engine`.
  // `consumer` is called on the follower's thread, or by finish() on its caller's, never
  // after finish() or the destructor has returned. Out of threads, nothing is followed and
  // finish() reads the whole log. `clock` (borrowed) times the pauses before a resume
  // and finish()'s wait.
  ContainerLogFollower(docker::DockerEngine engine, std::string id, Consumer consumer,
                       const Clock& clock);
  // Stops and joins.
  ~ContainerLogFollower();
  ContainerLogFollower(const ContainerLogFollower&) = delete;
  ContainerLogFollower& operator=(const ContainerLogFollower&) = delete;

  // For a container that has exited: returns once its whole log was passed on, by the follow
  // or, when the follow gave up or stayed open kEndQuiet after its last output, by one plain
  // read of the rest. Success also when stop() ended the follow first. The error says why the
  // rest could not be read: the engine refused (the container is gone), or the plain read
  // failed. Call once.
  Result<void> finish();

  // Ends the follow at once, wherever it is (an open read is cancelled): for a container
  // that is being removed, whose rest of the log is not wanted. Idempotent.
  void stop();

  // How many bytes of output were passed on to the consumer.
  std::size_t delivered() const;

 private:
  void run();
  // One followed read from where the consumer's copy ends. True when the container has
  // stopped and the read passed on the rest of its log.
  Result<bool> read_rest();
  // One read of the log, passing on what lies beyond the consumer's copy.
  Result<void> pass_on(docker::DockerEngine::LogRead how);
  // Ends the follow at once; its thread returns soon after.
  void end_follow();
  // Pauses before the next read, longer after each failure in a row; false when stop()
  // came meanwhile.
  bool pause_before_resume(int failed_reads);
  bool stopped() const;

  docker::DockerEngine engine_;
  const http_client::Canceller canceller_;
  const std::string id_;
  const Consumer consumer_;
  const Clock& clock_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stopped_ = false;        // guarded by mutex_: the follow is to end
  bool rest_unwanted_ = false;  // guarded by mutex_: stop() came
  bool thread_done_ = false;    // guarded by mutex_: the thread has returned or never started
  bool whole_ = false;          // guarded by mutex_: the follow passed on the whole log
  // guarded by mutex_; written by the follower's thread, then by finish() once it has joined it
  std::size_t delivered_ = 0;
  std::optional<Error> error_;  // guarded by mutex_: the engine refused the log
  std::thread thread_;
};

}  // namespace pop
