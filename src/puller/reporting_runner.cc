#include "puller/reporting_runner.h"

#include "model/report_token.h"

namespace pop::puller {
namespace {

// A fetch that keeps failing fails the attempt rather than hold up the agenda for long.
constexpr int kFetchRounds = 5;

}  // namespace

struct ReportingRunner::Attempt {
  Attempt(std::string name, int attempt_number, RunListener* run_listener)
      : operation(std::move(name)), number(attempt_number), listener(run_listener) {}

  const std::string operation;
  const int number;
  // The rest is guarded by ReportingRunner::mutex_.
  RunListener* listener;  // null once the attempt's HandlerRun is gone
  double percent = 0;     // the latest progress, from POP_PROGRESS_FD or the API alike
  std::string message;
  bool finished = false;  // its result was passed on or is being fetched for: no progress
};

// The HandlerRun the executor owns, and the listener of the inner run it wraps.
class ReportingRunner::Run final : public HandlerRun, public RunListener {
 public:
  Run(ReportingRunner& owner, std::shared_ptr<Attempt> attempt, RunListener& listener)
      : owner_(owner), attempt_(std::move(attempt)), listener_(listener) {}

  // The inner run first: once it is gone, no inner thread calls this listener any more.
  ~Run() override {
    inner_.reset();
    owner_.forget(attempt_);
  }

  void adopt(std::unique_ptr<HandlerRun> inner) { inner_ = std::move(inner); }

  void terminate(std::chrono::milliseconds grace) override {
    if (inner_) inner_->terminate(grace);
  }

  void on_running() override { listener_.on_running(); }

  void on_progress(double percent_complete, const std::string& message) override {
    std::lock_guard lock(owner_.mutex_);
    attempt_->percent = percent_complete;
    attempt_->message = message;
    listener_.on_progress(percent_complete, message);
  }

  // Runs on an inner runner thread, which must not wait for the server: fetching the
  // reported output is the fetch thread's job.
  void on_finished(HandlerResult result) override {
    std::unique_lock lock(owner_.mutex_);
    attempt_->finished = true;
    if (owner_.needs_fetch(result)) {
      owner_.fetches_.push_back({attempt_, std::move(result)});
      owner_.fetch_wanted_.notify_all();
      return;
    }
    lock.unlock();
    listener_.on_finished(std::move(result));
  }

 private:
  ReportingRunner& owner_;
  const std::shared_ptr<Attempt> attempt_;
  RunListener& listener_;
  std::unique_ptr<HandlerRun> inner_;
};

ReportingRunner::ReportingRunner(Runner& inner, WorkSource& source, ReportLease lease,
                                 std::chrono::milliseconds retry_delay,
                                 std::unique_ptr<AttemptLogShipper> logs)
    : inner_(inner),
      source_(source),
      lease_(std::move(lease)),
      retry_delay_(retry_delay),
      logs_(std::move(logs)),
      fetcher_([this] { fetch_loop(); }) {}

ReportingRunner::~ReportingRunner() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  fetch_wanted_.notify_all();
  fetcher_.join();
}

Result<std::optional<std::size_t>> ReportingRunner::active_handlers(const std::string& insight_id) {
  return inner_.active_handlers(insight_id);
}

Result<std::unique_ptr<HandlerRun>> ReportingRunner::start(const LaunchRequest& request,
                                                           RunListener& listener) {
  auto attempt = std::make_shared<Attempt>(request.operation_name, request.attempt, &listener);
  {
    std::lock_guard lock(mutex_);
    attempts_[{attempt->operation, attempt->number}] = attempt;
  }
  // Registered before the inner start, which may already report; forgotten by its
  // destructor whatever happens next.
  auto run = std::make_unique<Run>(*this, attempt, listener);
  LaunchRequest reporting = request;
  if (logs_) reporting.log_path = logs_->track(request.operation_name, request.attempt);
  reporting.report_url = lease_.url;
  reporting.report_token = mint_report_token(
      lease_.key, {lease_.agenda_id, lease_.epoch, request.operation_name, request.attempt});
  auto inner = inner_.start(reporting, *run);
  if (!inner) return fail(inner.error());
  run->adopt(std::move(*inner));
  return std::unique_ptr<HandlerRun>(std::move(run));
}

Result<void> ReportingRunner::poll() {
  {
    std::lock_guard lock(mutex_);
    bool running = false;
    for (const auto& [key, attempt] : attempts_) running = running || !attempt->finished;
    if (!running) return {};
  }
  auto reported = source_.reported_progress(lease_.agenda_id, lease_.epoch, cursor_);
  if (!reported) return fail(reported.error());
  cursor_ = reported->cursor;
  std::lock_guard lock(mutex_);
  for (const auto& progress : reported->attempts) {
    auto it = attempts_.find({progress.operation, progress.attempt});
    if (it == attempts_.end()) continue;  // an attempt that has ended
    Attempt& attempt = *it->second;
    if (attempt.finished || attempt.listener == nullptr) continue;
    if (progress.percent_complete) attempt.percent = *progress.percent_complete;
    if (progress.message) attempt.message = *progress.message;
    attempt.listener->on_progress(attempt.percent, attempt.message);
  }
  return {};
}

void ReportingRunner::ship_logs() {
  if (logs_) logs_->ship_running();
}

bool ReportingRunner::needs_fetch(const HandlerResult& result) const {
  return logs_ != nullptr || (result.succeeded && result.output.is_null());
}

template <typename Call>
auto ReportingRunner::retried(Call call) -> decltype(call()) {
  for (int round = 1;; ++round) {
    auto answer = call();
    if (answer || answer.error().code != ErrorCode::kUnavailable || round == kFetchRounds)
      return answer;
    std::unique_lock lock(mutex_);
    if (fetch_wanted_.wait_for(lock, retry_delay_, [this] { return stopping_; })) return answer;
  }
}

void ReportingRunner::fetch_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    fetch_wanted_.wait(lock, [this] { return stopping_ || !fetches_.empty(); });
    // Stopping means every attempt is forgotten: nobody waits for what is still queued.
    if (stopping_) return;
    Fetch fetch = std::move(fetches_.front());
    fetches_.pop_front();
    if (fetch.attempt->listener == nullptr) continue;
    lock.unlock();
    const Attempt& attempt = *fetch.attempt;
    // A log that cannot be sent costs the log, not the attempt.
    if (logs_) (void)retried([&] { return logs_->finish(attempt.operation, attempt.number); });
    HandlerResult result = std::move(fetch.result);
    if (result.succeeded && result.output.is_null())
      result = with_reported_output(attempt, std::move(result));
    lock.lock();
    if (fetch.attempt->listener != nullptr) fetch.attempt->listener->on_finished(std::move(result));
  }
}

HandlerResult ReportingRunner::with_reported_output(const Attempt& attempt, HandlerResult result) {
  auto output = retried([&] {
    return source_.reported_output(lease_.agenda_id, lease_.epoch, attempt.operation,
                                   attempt.number);
  });
  if (output) {
    if (*output) result.output = std::move(**output);
    return result;
  }
  // Succeeding with a null output could lose an output the server acknowledged.
  result.succeeded = false;
  result.message = "the handler wrote no POP_OUTPUT_FILE and its reported output cannot be read: " +
                   output.error().message;
  return result;
}

void ReportingRunner::forget(const std::shared_ptr<Attempt>& attempt) {
  if (logs_) logs_->forget(attempt->operation, attempt->number);
  std::lock_guard lock(mutex_);
  attempt->listener = nullptr;
  auto it = attempts_.find({attempt->operation, attempt->number});
  if (it != attempts_.end() && it->second == attempt) attempts_.erase(it);
}

}  // namespace pop::puller
