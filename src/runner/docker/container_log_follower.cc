#include "runner/docker/container_log_follower.h"

#include <algorithm>
#include <system_error>
#include <utility>

#include "docker/engine_answers.h"

namespace pop {

ContainerLogFollower::ContainerLogFollower(docker::DockerEngine engine, std::string id,
                                           Consumer consumer, const Clock& clock)
    : engine_(std::move(engine)),
      canceller_(engine_.canceller()),
      id_(std::move(id)),
      consumer_(std::move(consumer)),
      clock_(clock) {
  try {
    thread_ = std::thread([this] {
      run();
      {
        std::lock_guard lock(mutex_);
        thread_done_ = true;
      }
      changed_.notify_all();
    });
  } catch (const std::system_error&) {
    // Out of threads: finish() reads the whole log instead, which beats losing the process.
    std::lock_guard lock(mutex_);
    thread_done_ = true;
  }
}

ContainerLogFollower::~ContainerLogFollower() {
  stop();
  if (thread_.joinable()) thread_.join();
}

Result<void> ContainerLogFollower::finish() {
  {
    std::unique_lock lock(mutex_);
    std::size_t seen = delivered_;
    while (!clock_.wait_until(changed_, lock, clock_.steady_now() + kEndQuiet, [&] {
      return thread_done_ || stopped_;
    }) && delivered_ != seen)
      seen = delivered_;
  }
  end_follow();
  if (thread_.joinable()) thread_.join();
  // Before the look at rest_unwanted_: a stop() from here on cancels the plain read.
  canceller_.reset();
  {
    std::lock_guard lock(mutex_);
    if (rest_unwanted_ || whole_) return {};
    if (error_) return fail(*error_);
  }
  return pass_on(docker::DockerEngine::LogRead::kUntilNow);
}

void ContainerLogFollower::stop() {
  {
    std::lock_guard lock(mutex_);
    rest_unwanted_ = true;
  }
  end_follow();
}

void ContainerLogFollower::end_follow() {
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
    if (ended && *ended) {
      std::lock_guard lock(mutex_);
      whole_ = true;
      return;
    }
    if (stopped()) return;
    // Resumable: a broken connection, or an engine that ended the follow early. Anything
    // else is the engine's answer that there is no log to read (the container is gone, its
    // log driver cannot be read).
    if (!ended && ended.error().code != ErrorCode::kUnavailable) {
      std::lock_guard lock(mutex_);
      error_ = std::move(ended).error();
      return;
    }
    // Given up, finish() reads the rest once the container has exited.
    failed_reads = delivered() > before ? 1 : failed_reads + 1;
    if (failed_reads >= kMaxFailedReads || !pause_before_resume(failed_reads)) return;
  }
}

Result<void> ContainerLogFollower::pass_on(docker::DockerEngine::LogRead how) {
  std::size_t skip = delivered();
  return engine_.read_logs(id_, how, [&](std::string_view output) {
    const std::size_t seen = std::min(skip, output.size());
    skip -= seen;
    output.remove_prefix(seen);
    if (output.empty()) return;
    consumer_(output);
    std::lock_guard lock(mutex_);
    delivered_ += output.size();
  });
}

Result<bool> ContainerLogFollower::read_rest() {
  if (auto read = pass_on(docker::DockerEngine::LogRead::kFollow); !read)
    return fail(std::move(read).error());
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
