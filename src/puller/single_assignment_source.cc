#include "puller/single_assignment_source.h"

namespace pop::puller {

SingleAssignmentSource::SingleAssignmentSource(WorkSource& server, Assignment assignment,
                                               std::function<void()> on_exhausted)
    : server_(server), on_exhausted_(std::move(on_exhausted)), assignment_(std::move(assignment)) {}

Result<PullAnswer> SingleAssignmentSource::pull(std::size_t max, std::chrono::milliseconds,
                                                const std::optional<Resources>&,
                                                const std::set<std::string>&) {
  PullAnswer answer;
  {
    std::lock_guard lock(mutex_);
    if (assignment_) {
      if (max == 0) return answer;
      answer.assignments.push_back(std::move(*assignment_));
      assignment_.reset();
      return answer;
    }
  }
  // Outside the lock: stopping the agent wakes this source again.
  if (on_exhausted_) on_exhausted_();
  return answer;
}

void SingleAssignmentSource::note(const Result<void>& answer) {
  if (answer) return;
  if (answer.error().code == ErrorCode::kConflict || answer.error().code == ErrorCode::kNotFound) {
    std::lock_guard lock(mutex_);
    lease_lost_ = answer.error();
  }
}

Result<void> SingleAssignmentSource::report(const std::string& agenda_id, std::uint64_t epoch,
                                            const std::string& lease_key, const Json& progress) {
  auto answer = server_.report(agenda_id, epoch, lease_key, progress);
  note(answer);
  return answer;
}

Result<void> SingleAssignmentSource::complete(const std::string& agenda_id, std::uint64_t epoch,
                                              const std::string& lease_key, const Json& progress) {
  auto answer = server_.complete(agenda_id, epoch, lease_key, progress);
  note(answer);
  std::lock_guard lock(mutex_);
  if (answer) {
    completed_ = true;
    completion_error_.reset();
  } else {
    completion_error_ = answer.error();
  }
  return answer;
}

Result<ReportedProgress> SingleAssignmentSource::reported_progress(const std::string& agenda_id,
                                                                   std::uint64_t epoch,
                                                                   std::uint64_t after) {
  return server_.reported_progress(agenda_id, epoch, after);
}

Result<std::optional<Json>> SingleAssignmentSource::reported_output(const std::string& agenda_id,
                                                                    std::uint64_t epoch,
                                                                    const std::string& operation,
                                                                    int attempt) {
  return server_.reported_output(agenda_id, epoch, operation, attempt);
}

Result<LogChunkAnswer> SingleAssignmentSource::append_log(const std::string& agenda_id,
                                                          std::uint64_t epoch,
                                                          const std::string& lease_key,
                                                          const LogChunk& chunk) {
  return server_.append_log(agenda_id, epoch, lease_key, chunk);
}

void SingleAssignmentSource::wake() { server_.wake(); }

bool SingleAssignmentSource::completed() const {
  std::lock_guard lock(mutex_);
  return completed_;
}

std::optional<Error> SingleAssignmentSource::lease_lost() const {
  std::lock_guard lock(mutex_);
  if (completed_) return std::nullopt;
  return lease_lost_;
}

std::optional<Error> SingleAssignmentSource::completion_error() const {
  std::lock_guard lock(mutex_);
  return completion_error_;
}

}  // namespace pop::puller
