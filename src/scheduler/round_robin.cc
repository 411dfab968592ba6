#include "scheduler/round_robin.h"

#include <algorithm>
#include <utility>

namespace pop::scheduler {

Result<void> RoundRobin::add(WaitingAgenda agenda) {
  auto [it, fresh] = customers_.try_emplace(agenda.customer_id);
  Customer& customer = it->second;
  auto entry = index_.insert(agenda);
  if (!entry) {
    if (fresh) customers_.erase(it);
    return fail(std::move(entry).error());
  }
  (*entry)->second.slot = &customer;
  customer.queue.insert({(*entry)->second.submit_order(), *entry});
  if (fresh) {
    customer.id = it->first;
    // Not in the current round's pending list, as in the original: it waits for the next.
    customer.turn = Turn{round_ + 1, next_ring_++};
    turns_.emplace(customer.turn, &customer);
  }
  return {};
}

bool RoundRobin::remove(std::string_view agenda_id) {
  const Index::Entry* entry = index_.find(agenda_id);
  if (entry == nullptr) return false;
  Customer* customer = entry->second.slot;
  customer->queue.erase(entry->second.submit_order());
  index_.take(entry);
  if (customer->queue.empty()) forget_customer(customer);
  return true;
}

void RoundRobin::forget_customer(Customer* customer) {
  turns_.erase(customer->turn);
  // Erase by iterator: erasing by a key that lives inside the erased element is unsafe.
  customers_.erase(customers_.find(customer->id));
}

std::vector<WaitingAgenda> RoundRobin::select(std::size_t count, TimePoint /*now*/) {
  std::vector<WaitingAgenda> admitted;
  admitted.reserve(std::min(count, index_.size()));
  while (admitted.size() < count && !turns_.empty()) {
    auto turn = turns_.extract(turns_.begin());
    Customer* customer = turn.mapped();
    round_ = turn.key().round;
    auto oldest = customer->queue.begin();
    const Index::Entry* entry = oldest->second;
    customer->queue.erase(oldest);
    admitted.push_back(index_.take(entry));
    if (customer->queue.empty()) {
      customers_.erase(customers_.find(customer->id));
    } else {
      customer->turn.round += 1;
      turn.key() = customer->turn;
      turns_.insert(std::move(turn));
    }
  }
  return admitted;
}

std::optional<Explanation> RoundRobin::explain(std::string_view agenda_id,
                                               TimePoint /*now*/) const {
  const Index::Entry* entry = index_.find(agenda_id);
  if (entry == nullptr) return std::nullopt;
  const Customer& own = *entry->second.slot;
  const std::uint64_t rank = own.queue.order_of_key(entry->second.submit_order());
  const std::uint64_t round = own.turn.round + rank;  // the round it is admitted in

  // Customer d is served once in each of the rounds d.round .. d.round + |d.queue| - 1.
  std::size_t position = 0;
  for (const auto& [turn, customer] : turns_) {
    const std::uint64_t length = customer->queue.size();
    const std::uint64_t last_round = turn.round + length - 1;
    if (round > turn.round) position += std::min<std::uint64_t>(round - turn.round, length);
    if (round >= turn.round && round <= last_round && turn.ring < own.turn.ring) position += 1;
  }
  const std::size_t others = position - rank;
  std::string reason =
      "roundRobin serves each customer once per round, its oldest agenda first; customer " +
      std::string(own.id) +
      (own.turn.round == round_ ? " is still to be served in the current round"
                                : " is served next in the coming round") +
      " and this is its agenda number " + std::to_string(rank + 1) + ", so it is admitted " +
      std::to_string(rank) + " round" + (rank == 1 ? "" : "s") + " after that turn, behind " +
      std::to_string(others) + " agenda" + (others == 1 ? "" : "s") + " of other customers";
  return Explanation{position, true, std::move(reason)};
}

}  // namespace pop::scheduler
