// What a puller's next pull may ask for under its pool's execution limits (an insight's
// executionLimit, as the previous pull answer told them), shared by the in-process agent and
// the executor-Pod launcher. Pure logic: the caller counts.
//
// For each limited insight: its active handlers counted (by `count`) at the limit or above,
// or a count that fails, skips the insight; below it with some active, the pull asks for no
// more agendas than the room left (the server hands out up to a limit's worth of an insight
// per pull: more than fit).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "util/logger.h"
#include "util/result.h"

namespace pop::puller {

struct Admission {
  std::set<std::string> skip_insight_ids;
  std::size_t max = 0;  // agendas to ask for
  // The insights skipped because their count failed, with why: for the caller's log.
  std::map<std::string, Error> uncounted;
};

// `free`: the slots free now.
Admission admit_under_limits(const std::map<std::string, std::size_t>& execution_limits,
                             std::size_t free,
                             const std::function<Result<std::size_t>(const std::string&)>& count);

// One warning per insight in `admitted.uncounted`.
void log_uncounted(const Admission& admitted, Logger& logger);

}  // namespace pop::puller
