#include "scheduler/queues/insight_queues.h"

#include <algorithm>
#include <utility>

#include "scheduler/algorithm_registry.h"

namespace pop::scheduler {

InsightQueues::InsightQueues(ReadyListener listener) : listener_(std::move(listener)) {}

Result<void> InsightQueues::configure(const Insight& insight,
                                      const scheduler::AlgorithmConfig& config, TimePoint now) {
  bool gained = false;
  {
    std::lock_guard lock(mutex_);
    auto it = queues_.find(insight.id);
    const bool same_algorithm = it != queues_.end() && it->second.insight.scheduling_algorithm ==
                                                           insight.scheduling_algorithm;
    // Pullers of the new pool must hear of agendas that are ready already.
    const bool moved = it != queues_.end() && !it->second.ready.empty() &&
                       it->second.insight.resource_pool_id != insight.resource_pool_id;
    if (same_algorithm) {
      if (auto applied = it->second.algorithm->reconfigure(config); !applied) return applied;
      it->second.insight = insight;
      shrink(it->second);
      gained = refill(it->second, now) || moved;
    } else {
      auto algorithm = scheduler::make_algorithm(insight.scheduling_algorithm, config);
      if (!algorithm) return fail(algorithm.error());
      // A new algorithm's decisions count from 0 (its series is labelled with its name).
      Queue queue{
          insight, std::move(*algorithm), {}, it != queues_.end() ? it->second.looks : 0, false, 0};
      if (it != queues_.end()) {
        // Drain the old algorithm in its own order; the new one re-orders by its rules.
        Queue& old = it->second;
        queue.ready = std::move(old.ready);
        for (auto& agenda : old.algorithm->select(old.algorithm->size(), now)) {
          (void)queue.algorithm->add(std::move(agenda));
        }
      }
      shrink(queue);
      gained = refill(queue, now) || moved;
      queues_.insert_or_assign(insight.id, std::move(queue));
    }
  }
  if (gained) notify({{insight.resource_pool_id, insight.id}});
  return {};
}

std::vector<std::string> InsightQueues::remove_insight(std::string_view insight_id) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> dropped;
  auto it = queues_.find(insight_id);
  if (it == queues_.end()) return dropped;
  Queue& queue = it->second;
  for (const auto& agenda : queue.ready) dropped.push_back(agenda.agenda_id);
  for (const auto& agenda : queue.algorithm->select(queue.algorithm->size(), TimePoint{}))
    dropped.push_back(agenda.agenda_id);
  for (const auto& id : dropped) unplace(id);
  queues_.erase(it);
  return dropped;
}

std::size_t InsightQueues::clear_pool(std::string_view resource_pool_id) {
  std::unique_lock lock(mutex_);
  closed_pools_.emplace(resource_pool_id);
  std::vector<std::string> dropped;
  for (auto& [id, queue] : queues_) {
    if (queue.insight.resource_pool_id != resource_pool_id) continue;
    for (const auto& agenda : queue.ready) dropped.push_back(agenda.agenda_id);
    queue.ready.clear();
    for (const auto& agenda : queue.algorithm->select(queue.algorithm->size(), TimePoint{}))
      dropped.push_back(agenda.agenda_id);
  }
  for (const auto& id : dropped) unplace(id);
  quiet_pools_.erase(std::string(resource_pool_id));
  lock.unlock();
  notify({{std::string(resource_pool_id), ""}});
  return dropped.size();
}

void InsightQueues::open_pool(std::string_view resource_pool_id) {
  std::lock_guard lock(mutex_);
  if (auto it = closed_pools_.find(resource_pool_id); it != closed_pools_.end())
    closed_pools_.erase(it);
}

std::size_t InsightQueues::remove_insight_if_idle(std::string_view insight_id) {
  std::lock_guard lock(mutex_);
  auto it = queues_.find(insight_id);
  if (it == queues_.end()) return 0;
  const std::size_t held = it->second.ready.size() + it->second.algorithm->size();
  if (held == 0) queues_.erase(it);
  return held;
}

Result<void> InsightQueues::enqueue(std::string_view insight_id, scheduler::WaitingAgenda agenda,
                                    TimePoint now) {
  std::vector<Announcement> gained;
  {
    std::lock_guard lock(mutex_);
    auto it = queues_.find(insight_id);
    if (it == queues_.end())
      return fail(ErrorCode::kNotFound, "insight \"" + std::string(insight_id) + "\" has no queue");
    if (closed(it->second)) return {};
    if (insight_of_.contains(agenda.agenda_id)) {
      return fail(ErrorCode::kConflict, "agenda \"" + agenda.agenda_id + "\" is already queued");
    }
    const std::string id = agenda.agenda_id;
    const std::string customer_id = agenda.customer_id;
    if (auto added = it->second.algorithm->add(std::move(agenda)); !added) return added;
    place(id, it->first, customer_id);
    if (refill(it->second, now))
      gained.emplace_back(it->second.insight.resource_pool_id, it->first);
  }
  notify(gained);
  return {};
}

Result<void> InsightQueues::put_back(ReadyAgenda ready, bool until_capacity) {
  std::vector<Announcement> missed;
  {
    std::lock_guard lock(mutex_);
    auto it = queues_.find(ready.insight_id);
    if (it == queues_.end())
      return fail(ErrorCode::kNotFound, "insight \"" + ready.insight_id + "\" has no queue");
    Queue& queue = it->second;
    if (closed(queue)) return {};
    if (!place(ready.agenda.agenda_id, queue.insight.id, ready.agenda.customer_id))
      return fail(ErrorCode::kConflict,
                  "agenda \"" + ready.agenda.agenda_id + "\" is already queued");
    queue.ready.push_front(std::move(ready.agenda));
    shrink(queue);
    if (until_capacity) {
      quiet_pools_.insert(queue.insight.resource_pool_id);
    } else if (queue.looks != ready.looks) {
      missed.emplace_back(queue.insight.resource_pool_id, queue.insight.id);
    }
  }
  notify(missed);
  return {};
}

void InsightQueues::announce_ready(const std::set<std::string>& insight_ids) {
  std::vector<Announcement> ready;
  {
    std::lock_guard lock(mutex_);
    for (const auto& id : insight_ids) {
      auto it = queues_.find(id);
      if (it == queues_.end() || !std::exchange(it->second.refilled, false)) continue;
      if (!it->second.ready.empty()) ready.emplace_back(it->second.insight.resource_pool_id, id);
    }
  }
  notify(ready);
}

void InsightQueues::announce_capacity() {
  std::vector<Announcement> announcements;
  {
    std::lock_guard lock(mutex_);
    for (const auto& pool : quiet_pools_) announcements.emplace_back(pool, std::string());
    quiet_pools_.clear();
  }
  notify(announcements);
}

bool InsightQueues::forget(std::string_view agenda_id, TimePoint now) {
  std::vector<Announcement> gained;
  {
    std::lock_guard lock(mutex_);
    auto owner = insight_of_.find(std::string(agenda_id));
    if (owner == insight_of_.end()) return false;
    const std::string insight_id = owner->second.insight_id;
    unplace(std::string(agenda_id));
    Queue& queue = queues_.find(insight_id)->second;
    if (!queue.algorithm->remove(agenda_id)) {
      std::erase_if(queue.ready, [&](const auto& agenda) { return agenda.agenda_id == agenda_id; });
      if (refill(queue, now)) gained.emplace_back(queue.insight.resource_pool_id, insight_id);
    }
  }
  notify(gained);
  return true;
}

std::vector<ReadyAgenda> InsightQueues::take(std::span<const std::string> insight_ids,
                                             std::size_t max, TimePoint now) {
  std::vector<ReadyAgenda> taken;
  {
    std::lock_guard lock(mutex_);
    if (insight_ids.empty()) return taken;
    // Every queue this take looks at, whether it finds agendas there or not (see put_back).
    for (const auto& id : insight_ids) {
      if (auto it = queues_.find(id); it != queues_.end()) ++it->second.looks;
    }
    const std::size_t start = rotation_++ % insight_ids.size();
    // Round by round, one agenda per insight per round, until `max` or nothing is left.
    for (bool progress = true; progress && taken.size() < max;) {
      progress = false;
      for (std::size_t k = 0; k < insight_ids.size() && taken.size() < max; ++k) {
        auto it = queues_.find(insight_ids[(start + k) % insight_ids.size()]);
        if (it == queues_.end() || it->second.ready.empty()) continue;
        Queue& queue = it->second;
        scheduler::WaitingAgenda agenda = std::move(queue.ready.front());
        queue.ready.pop_front();
        unplace(agenda.agenda_id);
        taken.push_back(ReadyAgenda{queue.insight.id, std::move(agenda), queue.looks});
        if (refill(queue, now)) queue.refilled = true;  // announced by announce_ready()
        progress = true;
      }
    }
  }
  return taken;
}

std::optional<QueuePosition> InsightQueues::explain(std::string_view agenda_id,
                                                    TimePoint now) const {
  std::lock_guard lock(mutex_);
  auto owner = insight_of_.find(std::string(agenda_id));
  if (owner == insight_of_.end()) return std::nullopt;
  const Queue& queue = queues_.find(owner->second.insight_id)->second;
  QueuePosition position;
  position.insight_id = queue.insight.id;
  position.algorithm = std::string(queue.algorithm->name());
  auto ready = std::find_if(queue.ready.begin(), queue.ready.end(),
                            [&](const auto& agenda) { return agenda.agenda_id == agenda_id; });
  if (ready != queue.ready.end()) {
    position.ready = true;
    position.position = static_cast<std::size_t>(ready - queue.ready.begin());
    position.reason = "in the ready queue of insight \"" + queue.insight.id + "\" behind " +
                      std::to_string(position.position) +
                      " other agendas; waits for a puller of resource pool \"" +
                      queue.insight.resource_pool_id + "\" with free capacity";
    return position;
  }
  auto explanation = queue.algorithm->explain(agenda_id, now);
  if (!explanation) return std::nullopt;
  position.position = queue.ready.size() + explanation->position;
  position.reason = "waiting in insight \"" + queue.insight.id + "\" (" + position.algorithm +
                    "), whose ready queue is full (" + std::to_string(queue.ready.size()) + " of " +
                    std::to_string(queue.insight.queue_size) + "): " + explanation->reason;
  return position;
}

std::vector<std::string> InsightQueues::insights_of_pool(std::string_view resource_pool_id) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  for (const auto& [id, queue] : queues_) {
    if (queue.insight.resource_pool_id == resource_pool_id) ids.push_back(id);
  }
  return ids;
}

std::vector<Insight> InsightQueues::insights_in_pool(std::string_view resource_pool_id) const {
  std::lock_guard lock(mutex_);
  std::vector<Insight> insights;
  for (const auto& [id, queue] : queues_) {
    if (queue.insight.resource_pool_id == resource_pool_id) insights.push_back(queue.insight);
  }
  return insights;
}

std::vector<Insight> InsightQueues::insights() const {
  std::lock_guard lock(mutex_);
  std::vector<Insight> insights;
  for (const auto& [id, queue] : queues_) insights.push_back(queue.insight);
  return insights;
}

bool InsightQueues::has_insight(std::string_view insight_id) const {
  std::lock_guard lock(mutex_);
  return queues_.find(insight_id) != queues_.end();
}

std::optional<std::string> InsightQueues::pool_of(std::string_view insight_id) const {
  std::lock_guard lock(mutex_);
  auto it = queues_.find(insight_id);
  if (it == queues_.end()) return std::nullopt;
  return it->second.insight.resource_pool_id;
}

std::size_t InsightQueues::ready_count(std::string_view insight_id) const {
  std::lock_guard lock(mutex_);
  auto it = queues_.find(insight_id);
  return it == queues_.end() ? 0 : it->second.ready.size();
}

std::size_t InsightQueues::waiting_of_customer(std::string_view customer_id) const {
  std::lock_guard lock(mutex_);
  auto it = waiting_of_customer_.find(customer_id);
  return it == waiting_of_customer_.end() ? 0 : it->second;
}

bool InsightQueues::place(const std::string& agenda_id, const std::string& insight_id,
                          const std::string& customer_id) {
  if (!insight_of_.emplace(agenda_id, Placement{insight_id, customer_id}).second) return false;
  ++waiting_of_customer_[customer_id];
  return true;
}

void InsightQueues::unplace(const std::string& agenda_id) {
  auto placed = insight_of_.find(agenda_id);
  if (placed == insight_of_.end()) return;
  auto count = waiting_of_customer_.find(placed->second.customer_id);
  if (--count->second == 0) waiting_of_customer_.erase(count);
  insight_of_.erase(placed);
}

std::size_t InsightQueues::waiting_count(std::string_view insight_id) const {
  std::lock_guard lock(mutex_);
  auto it = queues_.find(insight_id);
  return it == queues_.end() ? 0 : it->second.algorithm->size();
}

std::vector<QueueDepth> InsightQueues::depths() const {
  std::lock_guard lock(mutex_);
  std::vector<QueueDepth> depths;
  depths.reserve(queues_.size());
  for (const auto& [id, queue] : queues_) {
    // The ready queue holds at most the insight's queueSize agendas: walked, not indexed.
    std::optional<TimePoint> oldest = queue.algorithm->oldest_enqueued_at();
    for (const scheduler::WaitingAgenda& agenda : queue.ready)
      if (!oldest || agenda.enqueued_at < *oldest) oldest = agenda.enqueued_at;
    depths.push_back({queue.insight.resource_pool_id, id, queue.algorithm->size(),
                      queue.ready.size(), oldest, std::string(queue.algorithm->name()),
                      queue.admitted});
  }
  return depths;
}

void InsightQueues::shrink(Queue& queue) {
  const std::size_t target = static_cast<std::size_t>(queue.insight.queue_size);
  // Each keeps its sequence and enqueue time, so the algorithm places it where it was. An
  // agenda the algorithm refuses (it cannot hold one twice) stays ready rather than vanish.
  while (queue.ready.size() > target && queue.algorithm->add(queue.ready.back())) {
    queue.ready.pop_back();
  }
}

bool InsightQueues::refill(Queue& queue, TimePoint now) {
  const std::size_t target = static_cast<std::size_t>(queue.insight.queue_size);
  if (queue.ready.size() >= target || queue.algorithm->size() == 0) return false;
  for (auto& agenda : queue.algorithm->select(target - queue.ready.size(), now)) {
    queue.ready.push_back(std::move(agenda));
    ++queue.admitted;
  }
  return true;
}

void InsightQueues::notify(const std::vector<Announcement>& announcements) const {
  if (!listener_) return;
  for (const auto& [pool, insight] : announcements) listener_(pool, insight);
}

}  // namespace pop::scheduler
