#include "puller/puller_metrics.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

namespace pop::puller {

PullerMetrics::PullerMetrics(metrics::MetricsRegistry& registry, const Runner& runner,
                             std::string runner_name, std::function<Slots()> slots)
    : runner_(std::move(runner_name)),
      attempts_(prometheus::BuildCounter()
                    .Name("pop_operation_attempts_total")
                    .Help("Operation attempts ended, by handler type, runner and outcome "
                          "(succeeded, failed, timed_out, stopped).")
                    .Register(registry.families())),
      attempt_duration_(prometheus::BuildHistogram()
                            .Name("pop_operation_attempt_duration_seconds")
                            .Help("Time from an attempt's launch to its end being seen, by "
                                  "handler type, runner and outcome.")
                            .Register(registry.families())),
      operation_duration_(prometheus::BuildHistogram()
                              .Name("pop_operation_duration_seconds")
                              .Help("Time from an operation's first attempt to its final state "
                                    "(retries and back-off included), by handler type, runner "
                                    "and outcome (succeeded, failed, cancelled).")
                              .Register(registry.families())),
      slots_(registry.add_collector([&runner, name = runner_, slots = std::move(slots)] {
        const Slots now = slots();
        const metrics::Labels labels{{"runner", name}};
        metrics::Families families = runner.metrics();
        families.push_back(metrics::gauge_family("pop_puller_capacity",
                                                 "Agendas this puller may run at once.",
                                                 {{labels, static_cast<double>(now.capacity)}}));
        families.push_back(metrics::gauge_family("pop_puller_slots_in_use",
                                                 "Agendas this puller is running now.",
                                                 {{labels, static_cast<double>(now.in_use)}}));
        return families;
      })) {}

void PullerMetrics::attempt_ended(std::string_view type, AttemptEnd end,
                                  std::chrono::duration<double> took) {
  static const std::vector<double> kBuckets = metrics::duration_buckets();
  const std::map<std::string, std::string> labels{{"type", std::string(type)},
                                                  {"runner", runner_},
                                                  {"outcome", std::string(attempt_end_name(end))}};
  attempts_.Add(labels).Increment();
  attempt_duration_.Add(labels, kBuckets).Observe(std::max(0.0, took.count()));
}

void PullerMetrics::operation_ended(std::string_view type, OperationState state,
                                    std::chrono::duration<double> took) {
  static const std::vector<double> kBuckets = metrics::duration_buckets();
  operation_duration_
      .Add({{"type", std::string(type)},
            {"runner", runner_},
            {"outcome", std::string(state_message_of(state))}},
           kBuckets)
      .Observe(std::max(0.0, took.count()));
}

}  // namespace pop::puller
