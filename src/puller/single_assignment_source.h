// The WorkSource of `pop executor`: a PullerAgent of capacity 1 run over it executes one
// agenda that was pulled elsewhere (by a puller that started this executor in a Pod of its
// own) exactly as the puller would have run it in-process. The first pull hands out that
// assignment; the next one, which an agent of capacity 1 makes only after the job has ended
// (completed, fenced off or abandoned), calls `on_exhausted` (which stops the agent) and
// answers nothing. Reports, completion and reads of handler reports go to `server`, the
// real source, and are remembered, so the caller can tell how the lease ended.
//
// Thread-safety: as WorkSource; the queries may be called from any thread.
#pragma once

#include <functional>
#include <mutex>
#include <optional>

#include "puller/work_source.h"

namespace pop::puller {

class SingleAssignmentSource final : public WorkSource {
 public:
  // Borrows `server`, which must outlive this source.
  SingleAssignmentSource(WorkSource& server, Assignment assignment,
                         std::function<void()> on_exhausted);

  Result<PullAnswer> pull(std::size_t max, std::chrono::milliseconds wait,
                          const std::optional<Resources>& available,
                          const std::set<std::string>& skip_insight_ids) override;
  Result<void> report(const std::string& agenda_id, std::uint64_t epoch,
                      const std::string& lease_key, const Json& progress) override;
  Result<void> complete(const std::string& agenda_id, std::uint64_t epoch,
                        const std::string& lease_key, const Json& progress) override;
  Result<ReportedProgress> reported_progress(const std::string& agenda_id, std::uint64_t epoch,
                                             std::uint64_t after) override;
  Result<std::optional<Json>> reported_output(const std::string& agenda_id, std::uint64_t epoch,
                                              const std::string& operation, int attempt) override;
  Result<LogChunkAnswer> append_log(const std::string& agenda_id, std::uint64_t epoch,
                                    const std::string& lease_key, const LogChunk& chunk) override;
  void wake() override;

  // True once the server accepted the agenda's final progress.
  bool completed() const;
  // Why the lease ended without completion, when the server said so: the report or
  // completion refused with kConflict (fenced off, cancelled) or kNotFound (deleted). Never
  // once the completion was accepted: that proves the lease was held to the end, and a
  // heartbeat racing the completion is refused only because the agenda has ended.
  std::optional<Error> lease_lost() const;
  // The last failed completion attempt (e.g. kUnavailable: the server was unreachable).
  std::optional<Error> completion_error() const;

 private:
  // Remembers a refusal that ends the lease.
  void note(const Result<void>& answer);

  WorkSource& server_;
  std::function<void()> on_exhausted_;
  mutable std::mutex mutex_;
  std::optional<Assignment> assignment_;  // until handed out
  bool completed_ = false;
  std::optional<Error> lease_lost_;
  std::optional<Error> completion_error_;
};

}  // namespace pop::puller
