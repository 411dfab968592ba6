// Handlers that run inside the executor, without a process, a container or a runner: POP's
// resident handlers. One today, "noop": it succeeds at once with no output, so that what POP
// itself costs per operation (scheduling, leases, progress writes) can be measured without
// process start-up in the way.
#pragma once

#include <memory>

#include "runner/runner.h"
#include "util/clock.h"
#include "util/result.h"

namespace pop {

// Runs the resident handler `request.handler.resident` names, reporting to `listener` as a
// runner would: on_running and on_finished are called before this returns; `clock` times it.
// kInvalidArgument for a resident handler this build does not have.
Result<std::unique_ptr<HandlerRun>> start_resident(const LaunchRequest& request,
                                                   RunListener& listener, const Clock& clock);

}  // namespace pop
