#include "api/log_followers.h"

#include <utility>
#include <vector>

namespace pop::api {
namespace {

// Chunks read from the store per read in a round; a round reads again while under its bytes.
constexpr std::size_t kChunksPerRead = 16;

bool same_attempt(const service::AttemptLogTarget& a, const service::AttemptLogTarget& b) {
  return a.attempt == b.attempt && a.agenda_id == b.agenda_id && a.operation == b.operation;
}

}  // namespace

LogFollowers::LogFollowers(service::AttemptLogs& logs, const Clock& clock, LogFollowerLimits limits)
    : logs_(logs), clock_(clock), limits_(limits), thread_([this] { run(); }) {}

LogFollowers::~LogFollowers() { stop(); }

std::size_t LogFollowers::following() const {
  std::lock_guard lock(mutex_);
  return followers_.size();
}

Result<void> LogFollowers::follow(const std::string& caller, service::AttemptLogTarget target,
                                  http::Responder responder) {
  std::lock_guard lock(mutex_);
  if (stopping_) return fail(ErrorCode::kUnavailable, "the server is stopping");
  if (followers_.size() >= limits_.max_followers) {
    return fail(ErrorCode::kResourceExhausted, "the server follows " +
                                                   std::to_string(limits_.max_followers) +
                                                   " logs already; try again later");
  }
  std::size_t& mine = per_caller_[caller];
  if (mine >= limits_.max_per_caller) {
    return fail(ErrorCode::kResourceExhausted, "this caller follows " +
                                                   std::to_string(limits_.max_per_caller) +
                                                   " logs already; close one first");
  }
  http::Headers headers;
  headers.set("Content-Type", "text/plain; charset=utf-8");
  if (!responder.start_stream(200, std::move(headers))) return {};
  ++mine;
  followers_.push_back(
      std::make_shared<Follower>(Follower{caller, std::move(target), std::move(responder)}));
  changed_.notify_all();
  return {};
}

void LogFollowers::appended(const service::AttemptLogTarget& target) {
  std::lock_guard lock(mutex_);
  bool woke = false;
  for (auto& follower : followers_) {
    if (!same_attempt(follower->target, target)) continue;
    follower->due = true;
    woke = true;
  }
  if (woke) changed_.notify_all();
}

void LogFollowers::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
  std::list<std::shared_ptr<Follower>> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(followers_);
  }
  for (auto& follower : left) follower->responder.end();
}

void LogFollowers::run() {
  auto next_recheck = clock_.steady_now() + limits_.recheck;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    bool backlog = false;
    for (const auto& follower : followers_) backlog = backlog || follower->backlog;
    const auto pause = backlog ? limits_.backlog_pause : limits_.recheck;
    clock_.wait_for(changed_, lock, pause, [this] {
      if (stopping_) return true;
      for (const auto& follower : followers_)
        if (follower->due) return true;
      return false;
    });
    if (stopping_) return;
    const bool recheck = clock_.steady_now() >= next_recheck;
    if (recheck) next_recheck = clock_.steady_now() + limits_.recheck;
    std::vector<std::shared_ptr<Follower>> round;
    for (auto& follower : followers_) {
      if (follower->due || follower->backlog || recheck) round.push_back(follower);
      follower->due = false;
      follower->backlog = false;
    }
    lock.unlock();
    std::vector<std::shared_ptr<Follower>> done;
    for (auto& follower : round)
      if (serve(*follower)) done.push_back(follower);
    lock.lock();
    for (auto& follower : done) {
      followers_.remove(follower);
      if (--per_caller_[follower->caller] == 0) per_caller_.erase(follower->caller);
    }
  }
}

bool LogFollowers::serve(Follower& follower) {
  if (follower.responder.cancelled()) return true;
  // Read before the text, so a log that ended before this read is sent whole before it ends.
  auto state = logs_.state(follower.target);
  if (!state) {
    follower.responder.end();
    return true;
  }
  std::size_t sent = 0;
  while (sent < limits_.round_bytes) {
    auto read = logs_.read(follower.target, follower.offset, kChunksPerRead);
    if (!read) {
      follower.responder.end();
      return true;
    }
    if (read->text.empty()) break;
    sent += read->text.size();
    follower.offset = read->next_offset;
    follower.last_byte = read->text.back();
    if (!follower.responder.write(std::move(read->text))) return true;
  }
  if (sent >= limits_.round_bytes) {
    std::lock_guard lock(mutex_);
    follower.backlog = true;
    return false;
  }
  if (!state->ended || follower.offset < state->kept_bytes) return false;
  follower.responder.write(service::truncation_marker(*state, follower.last_byte));
  follower.responder.end();
  return true;
}

}  // namespace pop::api
