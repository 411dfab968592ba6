// The tunables of the scheduling algorithms, as an insight stores them. One struct for all
// algorithms so that an insight can switch algorithm without losing its settings; each
// algorithm reads only its own fields.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "util/result.h"

namespace pop::scheduler {

// Weights are bounded so that virtual times stay well inside double precision (a weight
// ratio of at most 10^6; see weighted_fair.h).
inline constexpr double kMinimumWeight = 0.001;
inline constexpr double kMaximumWeight = 1000.0;

struct AlgorithmConfig {
  // weightedFair: a customer's share of admissions is proportional to its weight among
  // the customers that have agendas waiting. Customers not listed weigh `default_weight`.
  std::map<std::string, double, std::less<>> customer_weights;
  double default_weight = 1.0;

  // priority: a waiting agenda's effective priority rises by one per interval.
  std::chrono::seconds aging_interval{60};

  double weight_of(std::string_view customer_id) const;
};

// Succeeds when every field is usable; otherwise kInvalidArgument with one detail line per
// bad field, naming it (API spelling) and the accepted range.
Result<void> validate(const AlgorithmConfig& config);

}  // namespace pop::scheduler
