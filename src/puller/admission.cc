#include "puller/admission.h"

#include <algorithm>

namespace pop::puller {

Admission admit_under_limits(const std::map<std::string, std::size_t>& execution_limits,
                             std::size_t free,
                             const std::function<Result<std::size_t>(const std::string&)>& count) {
  Admission admitted{{}, free, {}};
  for (const auto& [insight_id, limit] : execution_limits) {
    auto active = count(insight_id);
    if (!active) {
      admitted.skip_insight_ids.insert(insight_id);
      admitted.uncounted.emplace(insight_id, active.error());
    } else if (*active >= limit) {
      admitted.skip_insight_ids.insert(insight_id);
    } else if (*active > 0) {
      admitted.max = std::min(admitted.max, limit - *active);
    }
  }
  return admitted;
}

void log_uncounted(const Admission& admitted, Logger& logger) {
  for (const auto& [insight_id, error] : admitted.uncounted) {
    logger.warning(
        "cannot count the active handlers of an insight, so none of its agendas is admitted now",
        {{"insight", insight_id}, {"error", error.message}});
  }
}

}  // namespace pop::puller
