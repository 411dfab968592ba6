// Binding at submit: which insight of the customer's resource pool an agenda waits in.
//
// Rules, in order:
//  1. `params.defaultInsight` names an insight: it must be in the pool and visible to the
//     customer, and it is used whatever its mappers say (an explicit choice wins).
//  2. Otherwise the first visible insight (in the given order) with a mapper entry that
//     matches: operationType or operationName equal to one of the agenda's operations'
//     (case-insensitive); paramMap "key=value" equal to a value in the agenda's params or any
//     operation's params (scalars compared as text, case-insensitive); labels equal to one
//     of the agenda's `labels` (an array of strings).
//  3. Otherwise the first visible catch-all insight (one with no mappers).
//  4. Otherwise an error naming the pool and why nothing matched.
#pragma once

#include <string_view>
#include <vector>

#include "agenda/agenda.h"
#include "scheduler/queues/insight.h"

namespace pop::scheduler {

// `pool_insights` are the insights of the customer's resource pool, in binding order.
// Returns the chosen insight (pointing into `pool_insights`) or kInvalidAgenda.
Result<const Insight*> bind_insight(const Agenda& agenda, std::string_view customer_id,
                                    std::string_view resource_pool_id,
                                    const std::vector<Insight>& pool_insights);

}  // namespace pop::scheduler
