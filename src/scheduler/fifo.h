// `fifo`: the oldest waiting agenda (lowest sequence) is admitted first. The default
// insight's algorithm, and the original POP's FirstInFirstOut.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "scheduler/agenda_index.h"
#include "scheduler/ranked_map.h"
#include "scheduler/scheduling_algorithm.h"

namespace pop::scheduler {

class Fifo final : public SchedulingAlgorithm {
 public:
  static constexpr std::string_view kName = "fifo";

  std::string_view name() const override { return kName; }
  Result<void> add(WaitingAgenda agenda) override;
  bool remove(std::string_view agenda_id) override;
  std::vector<WaitingAgenda> select(std::size_t count, TimePoint now) override;
  std::size_t size() const override { return index_.size(); }
  std::optional<TimePoint> oldest_enqueued_at() const override {
    return index_.oldest_enqueued_at();
  }
  bool contains(std::string_view agenda_id) const override {
    return index_.find(agenda_id) != nullptr;
  }
  // Exact: the number of held agendas with an earlier submit order.
  std::optional<Explanation> explain(std::string_view agenda_id, TimePoint now) const override;
  Result<void> reconfigure(const AlgorithmConfig& config) override { return validate(config); }

 private:
  struct NoSlot {};
  using Index = AgendaIndex<NoSlot>;

  Index index_;
  RankedMap<SubmitOrder, const Index::Entry*> order_;
};

}  // namespace pop::scheduler
