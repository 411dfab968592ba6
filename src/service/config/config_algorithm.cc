#include "service/config/config_algorithm.h"

#include "scheduler/algorithm_registry.h"
#include "scheduler/weighted_fair.h"
#include "service/config/config_store.h"

namespace pop::service {
namespace {

constexpr const char* kAgingInterval = "agingIntervalSeconds";
constexpr long long kMaxAgingSeconds = 365LL * 24 * 3600;

bool usable_aging(const Json& value) {
  return value.is_number_integer() && value.get<long long>() >= 1 &&
         value.get<long long>() <= kMaxAgingSeconds;
}

}  // namespace

Result<CustomerWeights> load_customer_weights(store::Store& store) {
  auto customers = all_documents(store, store::DocumentKind::kCustomer);
  if (!customers) return fail(customers.error());
  CustomerWeights weights;
  for (const auto& customer : *customers) {
    auto weight = customer.document.find("weight");
    if (weight != customer.document.end() && weight->is_number())
      weights[customer.id] = weight->get<double>();
  }
  return weights;
}

scheduler::AlgorithmConfig queue_config(const scheduler::Insight& insight,
                                        const CustomerWeights& weights) {
  scheduler::AlgorithmConfig config;
  if (auto aging = insight.algorithm_config.find(kAgingInterval);
      aging != insight.algorithm_config.end() && usable_aging(*aging)) {
    config.aging_interval = std::chrono::seconds(aging->get<long long>());
  }
  config.customer_weights = weights;
  return config;
}

std::vector<std::string> scheduling_problems(const scheduler::Insight& insight) {
  std::vector<std::string> problems;
  for (const auto& [key, value] : insight.algorithm_config.items()) {
    if (key != kAgingInterval) {
      problems.push_back("algorithmConfig." + key + ": unknown setting (known: " + kAgingInterval +
                         ")");
    } else if (!usable_aging(value)) {
      problems.push_back(std::string("algorithmConfig.") + kAgingInterval +
                         ": must be an integer from 1 to " + std::to_string(kMaxAgingSeconds));
    }
  }
  // Building one (empty) is the registry's own check of the name and configuration.
  auto algorithm =
      scheduler::make_algorithm(insight.scheduling_algorithm, queue_config(insight, {}));
  if (!algorithm) problems.push_back(algorithm.error().message);
  return problems;
}

bool uses_customer_weights(const scheduler::Insight& insight) {
  return insight.scheduling_algorithm == scheduler::WeightedFair::kName;
}

}  // namespace pop::service
