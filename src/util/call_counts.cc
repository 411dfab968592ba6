#include "util/call_counts.h"

namespace pop {

void CallCounts::add(std::string_view what, int status) {
  std::lock_guard lock(mutex_);
  auto it = counts_.find(what);
  if (it == counts_.end())
    it = counts_.emplace(std::string(what), std::map<int, std::uint64_t>{}).first;
  ++it->second[status];
}

std::vector<CallCounts::Count> CallCounts::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<Count> counts;
  for (const auto& [what, by_status] : counts_)
    for (const auto& [status, calls] : by_status) counts.push_back({what, status, calls});
  return counts;
}

}  // namespace pop
