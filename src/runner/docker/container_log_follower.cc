#include "runner/docker/container_log_follower.h"

#include <algorithm>
#include <utility>

#include "docker/engine_answers.h"

namespace pop {

ContainerLogFollower::ContainerLogFollower(docker::DockerEngine engine, std::string id,
                                           Consumer consumer, const Clock& clock)
    : engine_(std::move(engine)),
      canceller_(engine_.canceller()),
      id_(std::move(id)),
      consumer_(std::move(consumer)),
      clock_(clock),
      thread_([this] { run(); }) {}

ContainerLogFollower::~ContainerLogFollower() {
  stop();
  if (thread_.joinable()) thread_.join();
}

Result<void> ContainerLogFollower::finish() {
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  if (error_ && !stopped_) return fail(*error_);
  return {};
}

void ContainerLogFollower::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  changed_.notify_all();
  canceller_.cancel();
}

std::size_t ContainerLogFollower::delivered() const {
  std::lock_guard lock(mutex_);
  return delivered_;
}

bool ContainerLogFollower::stopped() const {
  std::lock_guard lock(mutex_);
  return stopped_;
}

void ContainerLogFollower::run() {
  int failed_reads = 0;
  while (true) {
    const std::size_t before = delivered();
    auto ended = read_rest();
    if (stopped() || (ended && *ended)) return;
    // Resumable: a broken connection, or an engine that ended the follow early. Anything
    // else is the engine's answer that there is no log to read (the container is gone, its
    // log driver cannot be read).
    if (!ended && ended.error().code != ErrorCode::kUnavailable) {
      std::lock_guard lock(mutex_);
      error_ = std::move(ended).error();
      return;
    }
    failed_reads = delivered() > before ? 1 : failed_reads + 1;
    if (failed_reads >= kMaxFailedReads) {
      std::lock_guard lock(mutex_);
      error_ = ended ? Error{ErrorCode::kUnavailable,
                             "the container engine kept ending the log's follow while the "
                             "container ran",
                             {}}
                     : std::move(ended).error();
      return;
    }
    if (!pause_before_resume(failed_reads)) return;
  }
}

Result<bool> ContainerLogFollower::read_rest() {
  std::size_t skip = delivered();
  auto read = engine_.follow_logs(id_, [&](std::string_view output) {
    const std::size_t seen = std::min(skip, output.size());
    skip -= seen;
    output.remove_prefix(seen);
    if (output.empty()) return;
    consumer_(output);
    std::lock_guard lock(mutex_);
    delivered_ += output.size();
  });
  if (!read) return fail(std::move(read).error());
  // The engine ends a follow when the container's log is closed, which is when it stops; a
  // restarting engine that keeps the container running (live restore) ends it too.
  auto state = engine_.inspect_container(id_);
  if (!state) {
    if (state.error().code == ErrorCode::kNotFound) return true;  // removed: nothing to read
    return fail(std::move(state).error());
  }
  return !docker::container_running(*state);
}

bool ContainerLogFollower::pause_before_resume(int failed_reads) {
  const auto pause = kFirstPause * (1 << std::min(failed_reads - 1, 4));
  std::unique_lock lock(mutex_);
  return !clock_.wait_until(changed_, lock, clock_.steady_now() + pause, [&] { return stopped_; });
}

}  // namespace pop
