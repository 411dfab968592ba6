// Runs each handler attempt as a local process group (see docs/handler-contract.md).
//
// Per attempt: a private working directory under the runner's work root (the handler's
// cwd, removed afterwards); the contract's environment on top of this process's own
// (POP_PAYLOAD or, above kMaxEnvironmentPayloadBytes, POP_PAYLOAD_FILE; POP_OUTPUT_FILE;
// POP_AGENDA_ID, POP_OPERATION_NAME, POP_CUSTOMER_ID, POP_ATTEMPT; POP_PROGRESS_FD, a pipe
// on which the handler may write JSON lines {"percentComplete": N, "message": "..."};
// POP_REPORT_URL/TOKEN when set) plus the spec's env; stdin from /dev/null; stdout and
// stderr into one size-capped log.
//
// One I/O thread watches every child through epoll (pidfd, log pipe, progress pipe); no
// polling. When the handler's main process exits, whatever else is left in its process
// group is killed before the exit status is collected, so nothing outlives an attempt.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>

#include "runner/output_file.h"
#include "runner/runner.h"
#include "util/clock.h"

namespace pop {

class LocalRunner final : public Runner {
 public:
  struct Options {
    // Parent of the per-attempt working directories. Must exist; the runner creates and
    // removes only its own subdirectories.
    std::filesystem::path work_root;
    std::size_t log_tail_bytes = 4096;  // how much of the log end HandlerResult carries
    std::size_t max_output_bytes =
        kOutputLimits.max_bytes;  // a larger POP_OUTPUT_FILE fails the attempt
    // Borrowed: stamps attempts and times kill deadlines. The I/O thread sleeps in epoll
    // for the interval this clock says is left, so a clock that jumps ahead is noticed at
    // the end of that interval, not when it jumps.
    Clock* clock = &system_clock();
  };

  static constexpr std::size_t kMaxEnvironmentPayloadBytes = 64u << 10;

  // kUnavailable when the I/O thread's descriptors cannot be created.
  static Result<std::unique_ptr<LocalRunner>> create(Options options);

  // Kills every handler still running (no grace), reaps it, removes its working directory
  // and stops the I/O thread. No listener is called after it returns.
  ~LocalRunner() override;

  Result<std::unique_ptr<HandlerRun>> start(const LaunchRequest& request,
                                            RunListener& listener) override;

  // This runner's own attempts for the insight whose process has not been reaped yet: local
  // processes of other runners are not labelled, so they are not counted. Never fails.
  Result<std::optional<std::size_t>> active_handlers(const std::string& insight_id) override;

  class Impl;

 private:
  explicit LocalRunner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pop
