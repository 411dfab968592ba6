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

  // Starts following container `id` (started, running or stopped) at once, over `engine`.
  // `consumer` is called on the follower's thread only, never after finish() or the
  // destructor has returned. `clock` (borrowed) times the pauses before a resume.
  ContainerLogFollower(docker::DockerEngine engine, std::string id, Consumer consumer,
                       const Clock& clock);
  // Stops and joins.
  ~ContainerLogFollower();
  ContainerLogFollower(const ContainerLogFollower&) = delete;
  ContainerLogFollower& operator=(const ContainerLogFollower&) = delete;

  // For a container that has exited: waits until its whole log was passed on (the engine
  // ends the follow once the container has stopped). Success also when stop() ended the
  // follow first. The error says why the rest could not be read: the engine refused, or
  // failed kMaxFailedReads reads in a row without passing on a byte. Call once.
  Result<void> finish();

  // Ends the follow at once, wherever it is (an open read is cancelled): for a container
  // that is being removed, whose rest of the log is not wanted. Idempotent.
  void stop();

  // How many bytes of output were passed on to the consumer.
  std::size_t delivered() const;

 private:
  void run();
  // One read from where the consumer's copy ends. True when the container has stopped and
  // the read passed on the rest of its log.
  Result<bool> read_rest();
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
  bool stopped_ = false;        // guarded by mutex_
  std::size_t delivered_ = 0;   // guarded by mutex_; written by the follower's thread only
  std::optional<Error> error_;  // guarded by mutex_: why the follow gave up
  std::thread thread_;          // last: starts once the rest exists
};

}  // namespace pop
