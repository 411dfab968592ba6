// The waiting agendas an algorithm holds, owned by id. Algorithms file pointers to these
// records in their own ordered structures rather than copies: records never move while
// held (unordered_map nodes are stable), and the id, usually the longest string, is stored
// once as the map key and moved back out when the agenda is admitted.
#pragma once

#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "scheduler/scheduling_algorithm.h"
#include "util/result.h"

namespace pop::scheduler {

// An unordered_map keyed by std::string that is searched with a std::string_view, without
// building a string.
struct StringViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};
template <typename Value>
using StringMap = std::unordered_map<std::string, Value, StringViewHash, std::equal_to<>>;

// FIFO order: by sequence, then by arrival at this algorithm for equal sequences.
struct SubmitOrder {
  std::int64_t sequence = 0;
  std::uint64_t serial = 0;
  auto operator<=>(const SubmitOrder&) const = default;
};

// `Slot` is whatever the algorithm needs to find the record in its own structures again
// (e.g. its customer), stored beside the record.
template <typename Slot>
class AgendaIndex {
 public:
  struct Record {
    std::string customer_id;
    std::int64_t sequence = 0;
    int priority = 0;
    TimePoint enqueued_at;
    std::uint64_t serial = 0;  // increasing with each insertion; unique while held
    Slot slot{};

    SubmitOrder submit_order() const { return {sequence, serial}; }
  };
  using Entry = std::pair<const std::string, Record>;

  // Takes the agenda's fields; the caller then files the record and sets its slot. Fails,
  // moving nothing, with kInvalidArgument for an empty id and kConflict for a held one.
  Result<Entry*> insert(WaitingAgenda& agenda) {
    if (agenda.agenda_id.empty()) {
      return fail(ErrorCode::kInvalidArgument, "a waiting agenda needs an agenda id");
    }
    auto [it, inserted] = records_.try_emplace(std::move(agenda.agenda_id));
    if (!inserted) {
      return fail(ErrorCode::kConflict, "agenda " + agenda.agenda_id + " is already waiting");
    }
    Record& record = it->second;
    record.customer_id = std::move(agenda.customer_id);
    record.sequence = agenda.sequence;
    record.priority = agenda.priority;
    record.enqueued_at = agenda.enqueued_at;
    record.serial = next_serial_++;
    ++waiting_since_[second_of(record.enqueued_at)];
    return &*it;
  }

  Entry* find(std::string_view agenda_id) {
    auto it = records_.find(agenda_id);
    return it == records_.end() ? nullptr : &*it;
  }
  const Entry* find(std::string_view agenda_id) const {
    auto it = records_.find(agenda_id);
    return it == records_.end() ? nullptr : &*it;
  }

  // Removes the record and returns it as a WaitingAgenda. REQUIRES: `entry` is held here.
  WaitingAgenda take(const Entry* entry) {
    auto node = records_.extract(records_.find(entry->first));
    Record& record = node.mapped();
    forget_wait(record.enqueued_at);
    return WaitingAgenda{std::move(node.key()), std::move(record.customer_id), record.sequence,
                         record.priority, record.enqueued_at};
  }

  std::size_t size() const { return records_.size(); }
  auto begin() { return records_.begin(); }
  auto end() { return records_.end(); }

  // The earliest enqueued_at held, to the second below it; nullopt when empty. O(1).
  std::optional<TimePoint> oldest_enqueued_at() const {
    if (waiting_since_.empty()) return std::nullopt;
    return TimePoint(std::chrono::seconds(waiting_since_.begin()->first));
  }

 private:
  static std::int64_t second_of(TimePoint time) {
    return std::chrono::floor<std::chrono::seconds>(time.time_since_epoch()).count();
  }
  void forget_wait(TimePoint enqueued_at) {
    auto it = waiting_since_.find(second_of(enqueued_at));
    if (--it->second == 0) waiting_since_.erase(it);
  }

  StringMap<Record> records_;
  std::uint64_t next_serial_ = 0;
  // How many records were enqueued in each second: the oldest wait at a glance (for
  // metrics) without walking the records, and a node per second held, not per agenda.
  std::map<std::int64_t, std::uint32_t> waiting_since_;
};

}  // namespace pop::scheduler
