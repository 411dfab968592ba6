// The HandlerRun every runner hands out. A runner keeps each attempt in an object it shares
// with its own threads (a process's RunControl, a container's attempt, a Pod's control);
// the handle only forwards to it, so that the contract of runner.h (destroying the handle
// kills at once and silences the listener) is kept by one class for every runner.
#pragma once

#include <chrono>
#include <concepts>
#include <memory>
#include <utility>

#include "runner/runner.h"

namespace pop {

// What the handle needs of the attempt it shares with its runner.
template <typename Attempt>
concept ControllableAttempt = requires(Attempt& attempt, std::chrono::milliseconds grace) {
  // HandlerRun::terminate: stop with a grace period; returns at once.
  { attempt.terminate(grace) } -> std::same_as<void>;
  // The handle is going: kill at once, and no listener call once it returns.
  { attempt.detach() } -> std::same_as<void>;
};

template <ControllableAttempt Attempt>
class AttemptRun final : public HandlerRun {
 public:
  explicit AttemptRun(std::shared_ptr<Attempt> attempt) : attempt_(std::move(attempt)) {}
  ~AttemptRun() override { attempt_->detach(); }
  AttemptRun(const AttemptRun&) = delete;
  AttemptRun& operator=(const AttemptRun&) = delete;

  void terminate(std::chrono::milliseconds grace) override { attempt_->terminate(grace); }

 private:
  std::shared_ptr<Attempt> attempt_;
};

}  // namespace pop
