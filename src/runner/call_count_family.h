// A runner's calls to its platform's API (util/call_counts.h) as a counter family: one
// series per what was asked (labelled `what_label`) and status ("0": no answer).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "metrics/families.h"
#include "util/call_counts.h"

namespace pop {

prometheus::MetricFamily call_count_family(std::string name, std::string help,
                                           std::string_view what_label,
                                           const std::vector<CallCounts::Count>& counts);

}  // namespace pop
