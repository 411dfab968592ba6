#include "scheduler/weighted_fair.h"

#include <algorithm>
#include <utility>

#include "scheduler/number_text.h"

namespace pop::scheduler {

WeightedFair::WeightedFair(AlgorithmConfig config, double rebase_above)
    : config_(std::move(config)), rebase_above_(rebase_above) {}

Result<void> WeightedFair::add(WaitingAgenda agenda) {
  auto [it, fresh] = customers_.try_emplace(agenda.customer_id);
  Customer& customer = it->second;
  auto entry = index_.insert(agenda);
  if (!entry) {
    if (fresh) customers_.erase(it);
    return fail(std::move(entry).error());
  }
  (*entry)->second.slot = &customer;
  if (fresh) {
    customer.id = it->first;
    customer.cost = 1 / config_.weight_of(customer.id);
    customer.base = virtual_time_;
    customer.serial = next_serial_++;
    turns_.emplace(customer.turn(), &customer);
  } else if (customer.queue.empty()) {  // idle: back from idle_, without banked credit
    idle_.erase(customer.turn());
    customer.base = std::max(virtual_time_, customer.start(0));
    customer.served = 0;
    turns_.emplace(customer.turn(), &customer);
  }
  customer.queue.insert({(*entry)->second.submit_order(), *entry});
  return {};
}

bool WeightedFair::remove(std::string_view agenda_id) {
  const Index::Entry* entry = index_.find(agenda_id);
  if (entry == nullptr) return false;
  Customer* customer = entry->second.slot;
  customer->queue.erase(entry->second.submit_order());
  index_.take(entry);
  if (customer->queue.empty()) {
    // The customer's next start belongs to the customer, not to the removed agenda, so it
    // is kept: cancelling cannot buy an earlier turn.
    turns_.erase(customer->turn());
    park(customer);
  }
  return true;
}

void WeightedFair::park(Customer* customer) {
  if (customer->start(0) <= virtual_time_) {
    // It would restart at V anyway: nothing worth remembering.
    customers_.erase(customers_.find(customer->id));
  } else {
    idle_.emplace(customer->turn(), customer);
  }
}

void WeightedFair::forget_stale_idle() {
  while (!idle_.empty() && idle_.begin()->first.start <= virtual_time_) {
    Customer* customer = idle_.begin()->second;
    idle_.erase(idle_.begin());
    customers_.erase(customers_.find(customer->id));
  }
}

std::vector<WaitingAgenda> WeightedFair::select(std::size_t count, TimePoint /*now*/) {
  std::vector<WaitingAgenda> admitted;
  admitted.reserve(std::min(count, index_.size()));
  while (admitted.size() < count && !turns_.empty()) {
    auto turn = turns_.extract(turns_.begin());
    Customer* customer = turn.mapped();
    virtual_time_ = turn.key().start;
    auto oldest = customer->queue.begin();
    const Index::Entry* entry = oldest->second;
    customer->queue.erase(oldest);
    admitted.push_back(index_.take(entry));
    customer->served += 1;
    if (customer->queue.empty()) {
      park(customer);
    } else {
      turn.key() = customer->turn();
      turns_.insert(std::move(turn));
    }
    forget_stale_idle();
  }
  if (virtual_time_ > rebase_above_) rebase();
  return admitted;
}

void WeightedFair::rebase() {
  // Subtracting one offset keeps every order (rounding is monotonic); the maps are rebuilt
  // because their keys change.
  const double offset = virtual_time_;
  turns_.clear();
  idle_.clear();
  for (auto& [id, customer] : customers_) {
    customer.base = std::max(0.0, customer.start(0) - offset);
    customer.served = 0;
    (customer.queue.empty() ? idle_ : turns_).emplace(customer.turn(), &customer);
  }
  virtual_time_ = 0;
}

Result<void> WeightedFair::reconfigure(const AlgorithmConfig& config) {
  if (auto valid = validate(config); !valid) return valid;
  config_ = config;
  for (auto& [id, customer] : customers_) {
    const double cost = 1 / config_.weight_of(id);
    if (cost == customer.cost) continue;
    // base + 0 * cost == base exactly, so the customer's key in turns_ or idle_ is unchanged.
    customer.base = customer.start(0);
    customer.served = 0;
    customer.cost = cost;
  }
  return {};
}

std::optional<Explanation> WeightedFair::explain(std::string_view agenda_id,
                                                 TimePoint /*now*/) const {
  const Index::Entry* entry = index_.find(agenda_id);
  if (entry == nullptr) return std::nullopt;
  const Customer& own = *entry->second.slot;
  const std::uint64_t rank = own.queue.order_of_key(entry->second.submit_order());
  const Turn target = own.turn(rank);

  // Each customer's start times increase along its queue: count those before `target`.
  std::size_t position = 0;
  for (const auto& [turn, customer] : turns_) {
    std::uint64_t low = 0;
    std::uint64_t high = customer->queue.size();
    while (low < high) {
      const std::uint64_t middle = low + (high - low) / 2;
      if (customer->turn(middle) < target) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    position += low;
  }
  const std::size_t others = position - rank;
  std::string reason =
      "weightedFair admits the agenda with the earliest virtual start time; customer " +
      std::string(own.id) + " has weight " + number_text(1 / own.cost) + ", so its agendas start " +
      number_text(own.cost) + " apart, and this one (its number " + std::to_string(rank + 1) +
      ") starts at " + number_text(target.start) + " against the insight's virtual time " +
      number_text(virtual_time_) + ", behind " + std::to_string(others) + " agenda" +
      (others == 1 ? "" : "s") + " of other customers";
  return Explanation{position, true, std::move(reason)};
}

}  // namespace pop::scheduler
