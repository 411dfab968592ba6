#include "scheduler/fifo.h"

#include <string>

namespace pop::scheduler {

Result<void> Fifo::add(WaitingAgenda agenda) {
  auto entry = index_.insert(agenda);
  if (!entry) return fail(std::move(entry).error());
  order_.insert({(*entry)->second.submit_order(), *entry});
  return {};
}

bool Fifo::remove(std::string_view agenda_id) {
  const Index::Entry* entry = index_.find(agenda_id);
  if (entry == nullptr) return false;
  order_.erase(entry->second.submit_order());
  index_.take(entry);
  return true;
}

std::vector<WaitingAgenda> Fifo::select(std::size_t count, TimePoint /*now*/) {
  std::vector<WaitingAgenda> admitted;
  admitted.reserve(std::min(count, order_.size()));
  while (admitted.size() < count && !order_.empty()) {
    auto oldest = order_.begin();
    const Index::Entry* entry = oldest->second;
    order_.erase(oldest);
    admitted.push_back(index_.take(entry));
  }
  return admitted;
}

std::optional<Explanation> Fifo::explain(std::string_view agenda_id, TimePoint /*now*/) const {
  const Index::Entry* entry = index_.find(agenda_id);
  if (entry == nullptr) return std::nullopt;
  const std::size_t ahead = order_.order_of_key(entry->second.submit_order());
  return Explanation{ahead, true,
                     "fifo admits the oldest agenda first; " + std::to_string(ahead) +
                         (ahead == 1 ? " agenda was" : " agendas were") +
                         " submitted earlier and " + (ahead == 1 ? "waits" : "wait") +
                         " ahead of it"};
}

}  // namespace pop::scheduler
