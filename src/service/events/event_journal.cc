#include "service/events/event_journal.h"

#include <algorithm>
#include <charconv>

#include "util/random_id.h"

namespace pop::service {

std::string format_event_position(const EventPosition& position) {
  return position.journal_id + "-" + std::to_string(position.sequence);
}

Result<EventPosition> parse_event_position(std::string_view text) {
  const auto invalid = [&] {
    return fail(ErrorCode::kInvalidArgument,
                "Last-Event-ID must be an event id of this stream (<journal>-<sequence>), not \"" +
                    std::string(text.substr(0, 100)) + "\"");
  };
  const std::size_t dash = text.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return invalid();
  const std::string_view digits = text.substr(dash + 1);
  EventPosition position{std::string(text.substr(0, dash)), 0};
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), position.sequence);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return invalid();
  return position;
}

EventJournal::EventJournal(std::size_t capacity)
    : id_(random_uuid()), capacity_(std::max<std::size_t>(capacity, 1)) {}

void EventJournal::publish(AgendaEvent event) {
  auto entry = std::make_shared<JournalEntry>();
  entry->json = event_to_json(event).dump();
  entry->event = std::move(event);
  std::lock_guard lock(mutex_);
  entry->sequence = ++last_sequence_;
  if (entries_.size() == capacity_) entries_.pop_front();
  entries_.push_back(std::move(entry));
  for (const auto& [id, listener] : listeners_) listener();
}

std::uint64_t EventJournal::last_sequence() const {
  std::lock_guard lock(mutex_);
  return last_sequence_;
}

EventJournal::Batch EventJournal::read_after(std::uint64_t sequence, std::size_t max) const {
  Batch batch;
  std::lock_guard lock(mutex_);
  if (entries_.empty() || sequence >= last_sequence_) return batch;
  const std::uint64_t first = entries_.front()->sequence;
  batch.gap = sequence + 1 < first;
  const std::uint64_t from = std::max(sequence + 1, first);
  const std::size_t count = std::min<std::uint64_t>(max, last_sequence_ - from + 1);
  const auto begin = entries_.begin() + static_cast<std::ptrdiff_t>(from - first);
  batch.entries.assign(begin, begin + static_cast<std::ptrdiff_t>(count));
  return batch;
}

std::optional<std::uint64_t> EventJournal::resume_after(const EventPosition& position) const {
  if (position.journal_id != id_) return std::nullopt;
  std::lock_guard lock(mutex_);
  if (position.sequence > last_sequence_) return std::nullopt;
  // The client saw `sequence`; the events after it must all still be here.
  const std::uint64_t first = entries_.empty() ? last_sequence_ + 1 : entries_.front()->sequence;
  if (position.sequence + 1 < first) return std::nullopt;
  return position.sequence;
}

std::uint64_t EventJournal::add_listener(std::function<void()> listener) {
  std::lock_guard lock(mutex_);
  listeners_.emplace(next_listener_, std::move(listener));
  return next_listener_++;
}

void EventJournal::remove_listener(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  listeners_.erase(id);
}

}  // namespace pop::service
