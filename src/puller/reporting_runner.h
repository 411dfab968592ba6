// Connects each handler attempt of one leased agenda to the report endpoint
// (docs/handler-contract.md): the handler gets POP_REPORT_URL and a token for that attempt
// alone; what it reports through the API becomes the attempt's progress; and when it
// succeeds without writing POP_OUTPUT_FILE, the output it reported is fetched before the
// attempt's result is passed on, so an output reported just before exit is never lost.
// It wraps whichever Runner starts the handler, so local processes, containers and Pods
// get the same contract.
//
// With an AttemptLogShipper, each attempt's log is also shipped to the server: the runner
// writes it to the shipper's file, ship_logs() sends what is new, and an attempt's result is
// passed on only once the rest of its log is sent (puller/attempt_log_shipper.h), so the
// agenda never completes, ending the lease, before its last attempt's log is stored.
//
// Thread-safety: start(), poll() and ship_logs() may be called from any thread, poll() from
// one at a time. Listeners are called from the inner runner's threads, poll()'s thread and this
// runner's own fetch thread, never after the HandlerRun they belong to is destroyed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "puller/attempt_log_shipper.h"
#include "puller/work_source.h"
#include "runner/runner.h"

namespace pop::puller {

struct ReportLease {
  std::string agenda_id;
  std::uint64_t epoch = 0;
  std::string key;  // the lease's report key (Assignment::report_key)
  std::string url;  // what handlers get as POP_REPORT_URL
};

class ReportingRunner final : public Runner {
 public:
  // Borrows `inner` and `source`; both must outlive this runner. A fetch the server cannot
  // answer (kUnavailable) is tried again after `retry_delay`, a few times.
  // `logs` (may be null: no log is shipped) is owned.
  ReportingRunner(Runner& inner, WorkSource& source, ReportLease lease,
                  std::chrono::milliseconds retry_delay,
                  std::unique_ptr<AttemptLogShipper> logs = nullptr);
  // REQUIRES: every HandlerRun it started has been destroyed. Waits for a fetch under way.
  ~ReportingRunner() override;
  ReportingRunner(const ReportingRunner&) = delete;
  ReportingRunner& operator=(const ReportingRunner&) = delete;

  // Starts the attempt on the inner runner with the report variables set; errors are the
  // inner runner's.
  Result<std::unique_ptr<HandlerRun>> start(const LaunchRequest& request,
                                            RunListener& listener) override;

  // The inner runner's count, unchanged.
  Result<std::optional<std::size_t>> active_handlers(const std::string& insight_id) override;

  // Reads what the running attempts reported since the last poll and passes it on as their
  // progress. Asks the source nothing while no attempt runs. Errors are the source's
  // (kConflict: the lease is lost); nothing is passed on then.
  Result<void> poll();
  // Ships what the running attempts' logs gained (AttemptLogShipper::ship_running).
  void ship_logs();

 private:
  struct Attempt;  // one started attempt
  class Run;
  struct Fetch {
    std::shared_ptr<Attempt> attempt;
    HandlerResult result;
  };

  void fetch_loop();
  // Whether the attempt's result waits for the fetch thread: for its reported output, or for
  // the rest of its log.
  bool needs_fetch(const HandlerResult& result) const;
  // The attempt's result with the reported output in it, or failed when it cannot be read.
  HandlerResult with_reported_output(const Attempt& attempt, HandlerResult result);
  // `call()` until it succeeds, fails with other than kUnavailable, or a few rounds
  // `retry_delay_` apart have failed (or stopping); its last answer.
  template <typename Call>
  auto retried(Call call) -> decltype(call());
  void forget(const std::shared_ptr<Attempt>& attempt);

  Runner& inner_;
  WorkSource& source_;
  const ReportLease lease_;
  const std::chrono::milliseconds retry_delay_;
  std::uint64_t cursor_ = 0;  // only poll() uses it
  const std::unique_ptr<AttemptLogShipper> logs_;

  // Held while a listener is called on behalf of an attempt, and while an attempt is
  // forgotten: so once forget() returns, no call for it is under way or will start.
  std::mutex mutex_;
  std::condition_variable fetch_wanted_;
  std::map<std::pair<std::string, int>, std::shared_ptr<Attempt>> attempts_;  // running
  std::deque<Fetch> fetches_;
  bool stopping_ = false;
  std::thread fetcher_;  // last: started once everything above exists
};

}  // namespace pop::puller
