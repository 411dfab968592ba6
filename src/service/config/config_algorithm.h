// How an insight's stored settings and the customers' weights become the configuration of its
// scheduling algorithm. The one place that reads them, used when the queues are built at
// start and whenever an insight or a customer changes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "scheduler/algorithm_config.h"
#include "scheduler/queues/insight.h"
#include "store/store.h"

namespace pop::service {

// Customer id -> weight, for weightedFair insights; customers not listed weigh 1.
using CustomerWeights = std::map<std::string, double, std::less<>>;

// The weights of every stored customer. Errors are the store's.
Result<CustomerWeights> load_customer_weights(store::Store& store);

// The algorithm configuration of the insight's queue: its algorithmConfig with `weights`.
// Settings that are absent or unusable keep their defaults; insight_document_from_json is
// where they are rejected.
scheduler::AlgorithmConfig queue_config(const scheduler::Insight& insight,
                                        const CustomerWeights& weights);

// What is wrong with the insight's schedulingAlgorithm and algorithmConfig, one line per
// field; empty when the queue can be configured with them.
std::vector<std::string> scheduling_problems(const scheduler::Insight& insight);

// Whether the insight's algorithm reads customer weights, so a weight change must reach it.
bool uses_customer_weights(const scheduler::Insight& insight);

}  // namespace pop::service
