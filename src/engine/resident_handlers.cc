#include "engine/resident_handlers.h"

#include <chrono>

namespace pop {
namespace {

// A resident handler is done by the time it is started: there is nothing to stop.
class FinishedRun final : public HandlerRun {
 public:
  void terminate(std::chrono::milliseconds) override {}
};

}  // namespace

Result<std::unique_ptr<HandlerRun>> start_resident(const LaunchRequest& request,
                                                   RunListener& listener, const Clock& clock) {
  if (request.handler.resident != "noop") {
    return fail(ErrorCode::kInvalidArgument,
                "no resident handler \"" + request.handler.resident + "\"");
  }
  HandlerResult result;
  result.succeeded = true;
  result.exit_code = 0;
  result.started = result.ended = clock.now();
  result.launched_at = result.observed_end_at = clock.steady_now();
  listener.on_running();
  listener.on_finished(std::move(result));
  return std::unique_ptr<HandlerRun>(std::make_unique<FinishedRun>());
}

}  // namespace pop
