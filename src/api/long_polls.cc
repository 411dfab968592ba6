#include "api/long_polls.h"

#include <algorithm>

namespace pop::api {

LongPolls::LongPolls(LongPollLimits limits, const Clock& clock) : limits_(limits), clock_(clock) {
  for (std::size_t i = 0; i < std::max<std::size_t>(limits_.workers, 1); ++i)
    workers_.emplace_back([this] { work(); });
  timer_ = std::thread([this] { time_out(); });
}

LongPolls::~LongPolls() { stop(); }

std::uint64_t LongPolls::start(Poll poll) {
  std::uint64_t seen = 0;
  bool counted = false;  // in its pool's `starting`
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      PoolState& state = pools_[poll.pool_id];
      ++state.starting;
      seen = state.generation;
      counted = true;
    }
  }
  // Stopping: the one attempt below and an empty answer, as for a poll over a bound.
  const bool answered = poll.attempt();
  std::unique_lock lock(mutex_);
  auto pool = pools_.find(poll.pool_id);
  if (counted) --pool->second.starting;  // a pool is not forgotten while a start counts in it
  const bool waits = !answered && counted && !stopping_ && poll.deadline > clock_.steady_now() &&
                     entries_.size() < limits_.max_waiting &&
                     per_caller_[poll.caller] < limits_.max_waiting_per_caller;
  if (!waits) {
    if (auto it = per_caller_.find(poll.caller); it != per_caller_.end() && it->second == 0)
      per_caller_.erase(it);
    if (counted) forget_if_idle(poll.pool_id);
    lock.unlock();
    if (!answered) poll.answer_empty();
    return 0;
  }
  auto entry = std::make_shared<Entry>();
  entry->id = next_id_++;
  entry->tried = seen;
  entry->poll = std::move(poll);
  const Poll& stored = entry->poll;
  ++per_caller_[stored.caller];
  const bool earliest = deadlines_.empty() || stored.deadline < deadlines_.begin()->first;
  deadlines_.emplace(stored.deadline, entry->id);
  entries_.emplace(entry->id, entry);
  PoolState& state = pool->second;
  state.polls.emplace(entry->id, entry);
  // Work that arrived during the first attempt may have been missed, whatever its insight.
  if (state.generation != seen) {
    state.woken.insert(std::string());
    schedule_pass(stored.pool_id, state);
  }
  const std::uint64_t id = entry->id;
  lock.unlock();
  if (earliest) deadline_moved_.notify_one();
  return id;
}

void LongPolls::wake(const std::string& pool_id, const std::string& insight_id) {
  std::lock_guard lock(mutex_);
  auto it = pools_.find(pool_id);
  if (it == pools_.end() || stopping_) return;  // nobody polls the pool
  ++it->second.generation;
  it->second.woken.insert(insight_id);
  if (!it->second.polls.empty()) schedule_pass(pool_id, it->second);
}

void LongPolls::cancel(std::uint64_t id, bool answer) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    entry = it->second;
    if (entry->attempting) {
      (answer ? entry->answer_after : entry->drop_after) = true;
      return;
    }
    remove(*entry);
  }
  if (answer) entry->poll.answer_empty();
}

void LongPolls::stop() {
  std::vector<std::shared_ptr<Entry>> waiting;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, entry] : entries_) {
      if (entry->attempting) {
        entry->answer_after = true;
      } else {
        waiting.push_back(entry);
      }
    }
    for (auto& entry : waiting) remove(*entry);
  }
  work_ready_.notify_all();
  deadline_moved_.notify_all();
  for (auto& entry : waiting) entry->poll.answer_empty();
  for (auto& worker : workers_) worker.join();
  workers_.clear();
  if (timer_.joinable()) timer_.join();
}

std::size_t LongPolls::waiting() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void LongPolls::schedule_pass(const std::string& pool_id, PoolState& state) {
  if (state.pass_scheduled) return;  // the pass in progress re-checks the generation at its end
  state.pass_scheduled = true;
  passes_.push_back(pool_id);
  work_ready_.notify_one();
}

void LongPolls::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [this] { return stopping_ || !passes_.empty(); });
    if (stopping_) return;
    const std::string pool_id = std::move(passes_.front());
    passes_.pop_front();
    lock.unlock();
    run_pass(pool_id);
    lock.lock();
  }
}

void LongPolls::run_pass(const std::string& pool_id) {
  std::vector<std::shared_ptr<Entry>> candidates;
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    auto pool = pools_.find(pool_id);
    if (pool == pools_.end()) return;
    PoolState& state = pool->second;
    generation = state.generation;
    const std::set<std::string> woken = std::move(state.woken);
    state.woken.clear();
    const bool any = woken.empty() || woken.contains(std::string());
    for (auto& [id, entry] : state.polls) {
      if (entry->tried >= generation) continue;
      // Woken only for insights it skips: nothing there is for it.
      const bool skips_all =
          !any && std::all_of(woken.begin(), woken.end(), [&](const std::string& insight) {
            return entry->poll.skip_insight_ids.contains(insight);
          });
      if (skips_all) {
        entry->tried = generation;
      } else {
        candidates.push_back(entry);
      }
    }
  }
  for (auto& entry : candidates) {
    {
      std::lock_guard lock(mutex_);
      if (entry->ended || stopping_) continue;
      entry->attempting = true;
      entry->tried = pools_[pool_id].generation;
    }
    const bool answered = entry->poll.attempt();
    bool answer = false;
    {
      std::lock_guard lock(mutex_);
      entry->attempting = false;
      if (answered || entry->answer_after || entry->drop_after) {
        answer = !answered && entry->answer_after && !entry->drop_after;
        remove(*entry);
      }
    }
    if (answer) entry->poll.answer_empty();
  }
  std::lock_guard lock(mutex_);
  auto pool = pools_.find(pool_id);
  if (pool == pools_.end()) return;
  pool->second.pass_scheduled = false;
  if (stopping_) return;
  // Woken again while this pass ran: another one for what it could not have seen.
  if (pool->second.generation != generation && !pool->second.polls.empty()) {
    schedule_pass(pool_id, pool->second);
  } else {
    forget_if_idle(pool_id);
  }
}

void LongPolls::time_out() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (deadlines_.empty()) {
      deadline_moved_.wait(lock);
      continue;
    }
    const auto [deadline, id] = *deadlines_.begin();
    if (clock_.steady_now() < deadline) {
      // Until the deadline, an earlier one or the stop.
      clock_.wait_until(deadline_moved_, lock, deadline, [this, deadline = deadline] {
        return stopping_ || deadlines_.empty() || deadlines_.begin()->first < deadline;
      });
      continue;
    }
    deadlines_.erase(deadlines_.begin());
    auto it = entries_.find(id);
    if (it == entries_.end()) continue;
    std::shared_ptr<Entry> entry = it->second;
    if (entry->attempting) {
      entry->answer_after = true;  // the attempt in flight answers
      continue;
    }
    remove(*entry);
    lock.unlock();
    entry->poll.answer_empty();
    lock.lock();
  }
}

void LongPolls::remove(Entry& entry) {
  if (entry.ended) return;
  entry.ended = true;
  entries_.erase(entry.id);
  deadlines_.erase({entry.poll.deadline, entry.id});
  if (auto it = per_caller_.find(entry.poll.caller); it != per_caller_.end() && --it->second == 0)
    per_caller_.erase(it);
  if (auto pool = pools_.find(entry.poll.pool_id); pool != pools_.end()) {
    pool->second.polls.erase(entry.id);
    forget_if_idle(entry.poll.pool_id);
  }
}

void LongPolls::forget_if_idle(const std::string& pool_id) {
  auto it = pools_.find(pool_id);
  if (it == pools_.end()) return;
  const PoolState& state = it->second;
  if (state.polls.empty() && state.starting == 0 && !state.pass_scheduled) pools_.erase(it);
}

}  // namespace pop::api
