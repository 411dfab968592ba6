#include "scheduler/priority.h"

#include <algorithm>
#include <string>
#include <utility>

namespace pop::scheduler {
namespace {

std::int64_t floor_divide(std::int64_t numerator, std::int64_t denominator) {
  std::int64_t quotient = numerator / denominator;
  if (numerator % denominator != 0 && (numerator < 0) != (denominator < 0)) quotient -= 1;
  return quotient;
}

std::int64_t nanoseconds_since_epoch(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

}  // namespace

Priority::Priority(const AlgorithmConfig& config)
    : interval_ns_(std::chrono::nanoseconds(config.aging_interval).count()) {}

std::int64_t Priority::ticks(TimePoint time) const {
  return floor_divide(nanoseconds_since_epoch(time), interval_ns_);
}

Priority::Rank Priority::rank_of(const Index::Record& record) const {
  return Rank{record.priority - ticks(record.enqueued_at), record.submit_order()};
}

std::int64_t Priority::effective_priority(int priority, TimePoint enqueued_at,
                                          TimePoint now) const {
  return priority + ticks(now) - ticks(enqueued_at);
}

Result<void> Priority::add(WaitingAgenda agenda) {
  auto entry = index_.insert(agenda);
  if (!entry) return fail(std::move(entry).error());
  order_.insert({rank_of((*entry)->second), *entry});
  return {};
}

bool Priority::remove(std::string_view agenda_id) {
  const Index::Entry* entry = index_.find(agenda_id);
  if (entry == nullptr) return false;
  order_.erase(rank_of(entry->second));
  index_.take(entry);
  return true;
}

std::vector<WaitingAgenda> Priority::select(std::size_t count, TimePoint /*now*/) {
  // The order is the same at every `now` (see the header), so the clock is not needed.
  std::vector<WaitingAgenda> admitted;
  admitted.reserve(std::min(count, order_.size()));
  while (admitted.size() < count && !order_.empty()) {
    auto first = order_.begin();
    const Index::Entry* entry = first->second;
    order_.erase(first);
    admitted.push_back(index_.take(entry));
  }
  return admitted;
}

Result<void> Priority::reconfigure(const AlgorithmConfig& config) {
  if (auto valid = validate(config); !valid) return valid;
  const std::int64_t interval_ns = std::chrono::nanoseconds(config.aging_interval).count();
  if (interval_ns == interval_ns_) return {};
  interval_ns_ = interval_ns;
  order_.clear();
  for (auto& entry : index_) order_.insert({rank_of(entry.second), &entry});
  return {};
}

std::optional<Explanation> Priority::explain(std::string_view agenda_id, TimePoint now) const {
  const Index::Entry* entry = index_.find(agenda_id);
  if (entry == nullptr) return std::nullopt;
  const Index::Record& record = entry->second;
  const std::size_t ahead = order_.order_of_key(rank_of(record));
  const std::int64_t effective = effective_priority(record.priority, record.enqueued_at, now);
  const std::int64_t next_tick_ns = (ticks(now) + 1) * interval_ns_;
  const std::int64_t seconds_to_next =
      (next_tick_ns - nanoseconds_since_epoch(now) + 999'999'999) / 1'000'000'000;
  std::string reason =
      "priority admits the highest effective priority first, oldest first within a level; "
      "this agenda has priority " +
      std::to_string(record.priority) + " and effective priority " + std::to_string(effective) +
      " (one level gained per " + std::to_string(interval_ns_ / 1'000'000'000) +
      " s waited, the next in " + std::to_string(seconds_to_next) + " s), behind " +
      std::to_string(ahead) + " agenda" + (ahead == 1 ? "" : "s") +
      " with a higher effective priority or an equal one and submitted earlier";
  return Explanation{ahead, true, std::move(reason)};
}

}  // namespace pop::scheduler
