#include "scheduler/algorithm_config.h"

#include <string>
#include <utility>
#include <vector>

#include "scheduler/number_text.h"

namespace pop::scheduler {
namespace {

bool usable_weight(double weight) {
  // Written so that NaN fails too.
  return weight >= kMinimumWeight && weight <= kMaximumWeight;
}

std::string weight_problem(const std::string& field, double weight) {
  return field + ": must be a number from " + number_text(kMinimumWeight) + " to " +
         number_text(kMaximumWeight) + ", got " + number_text(weight);
}

}  // namespace

double AlgorithmConfig::weight_of(std::string_view customer_id) const {
  auto it = customer_weights.find(customer_id);
  return it == customer_weights.end() ? default_weight : it->second;
}

Result<void> validate(const AlgorithmConfig& config) {
  std::vector<std::string> problems;
  if (!usable_weight(config.default_weight)) {
    problems.push_back(weight_problem("defaultWeight", config.default_weight));
  }
  for (const auto& [customer, weight] : config.customer_weights) {
    if (!usable_weight(weight)) {
      problems.push_back(weight_problem("customerWeights." + customer, weight));
    }
  }
  if (config.aging_interval.count() <= 0) {
    problems.push_back("agingIntervalSeconds: must be at least 1, got " +
                       std::to_string(config.aging_interval.count()));
  }
  if (problems.empty()) return {};
  return fail(ErrorCode::kInvalidArgument, "invalid scheduling algorithm configuration",
              std::move(problems));
}

}  // namespace pop::scheduler
