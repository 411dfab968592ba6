#include "puller/admission.h"

#include <algorithm>
#include <cstdio>

namespace pop::puller {

Admission admit_under_limits(const std::map<std::string, std::size_t>& execution_limits,
                             std::size_t free,
                             const std::function<Result<std::size_t>(const std::string&)>& count) {
  Admission admitted{{}, free};
  for (const auto& [insight_id, limit] : execution_limits) {
    auto active = count(insight_id);
    if (!active) {
      std::fprintf(stderr,
                   "pop puller: cannot count the active handlers of insight %s, so none of its "
                   "agendas is admitted now: %s\n",
                   insight_id.c_str(), active.error().message.c_str());
      admitted.skip_insight_ids.insert(insight_id);
    } else if (*active >= limit) {
      admitted.skip_insight_ids.insert(insight_id);
    } else if (*active > 0) {
      admitted.max = std::min(admitted.max, limit - *active);
    }
  }
  return admitted;
}

}  // namespace pop::puller
