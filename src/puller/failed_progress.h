// The progress that fails a whole leased agenda with one diagnostic, for agendas a puller
// cannot run at all (an operation type it has no handler for, an executor Pod the cluster
// refuses): the earlier progress, COMPLETE and failed at `now`, with the message as a
// diagnostic event.
#pragma once

#include <string>

#include "puller/work_source.h"
#include "util/time_format.h"

namespace pop::puller {

Json failed_progress(const Assignment& assignment, const std::string& message, WallTime now);

}  // namespace pop::puller
