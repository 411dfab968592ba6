#include "runner/local/io_wakeup.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace pop {

Result<std::shared_ptr<IoWakeup>> IoWakeup::create() {
  UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd) {
    return fail(ErrorCode::kUnavailable,
                std::string("cannot create an eventfd: ") + std::strerror(errno));
  }
  return std::make_shared<IoWakeup>(std::move(fd));
}

void IoWakeup::wake() {
  const std::uint64_t one = 1;
  // Fails only when the counter would overflow, and then the thread is awake anyway.
  [[maybe_unused]] ssize_t written = ::write(eventfd_.get(), &one, sizeof one);
}

void IoWakeup::post(std::uint64_t attempt_id) {
  {
    std::lock_guard lock(mutex_);
    posted_.push_back(attempt_id);
  }
  wake();
}

std::vector<std::uint64_t> IoWakeup::take() {
  std::uint64_t count;
  [[maybe_unused]] ssize_t read = ::read(eventfd_.get(), &count, sizeof count);
  std::lock_guard lock(mutex_);
  return std::exchange(posted_, {});
}

}  // namespace pop
