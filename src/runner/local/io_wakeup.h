// Wakes the local runner's I/O thread from other threads, and tells it which attempts
// changed their kill deadline. HandlerRun handles share it, so one that outlives the runner
// still has somewhere harmless to post.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "util/result.h"
#include "util/unique_fd.h"

namespace pop {

class IoWakeup {
 public:
  static Result<std::shared_ptr<IoWakeup>> create();
  explicit IoWakeup(UniqueFd eventfd) : eventfd_(std::move(eventfd)) {}

  // The eventfd to watch; readable after wake() or post().
  int fd() const { return eventfd_.get(); }

  void wake();
  void post(std::uint64_t attempt_id);
  // Resets the eventfd and returns the attempts posted since the last call.
  std::vector<std::uint64_t> take();

 private:
  UniqueFd eventfd_;
  std::mutex mutex_;
  std::vector<std::uint64_t> posted_;  // guarded by mutex_
};

}  // namespace pop
