#include "engine/executor.h"

#include <algorithm>
#include <cassert>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>
#include <utility>
#include <variant>

#include "agenda/reference.h"
#include "engine/backoff.h"
#include "engine/dag_plan.h"
#include "engine/event_queue.h"
#include "engine/resident_handlers.h"
#include "model/output_budget.h"
#include "util/duration_limits.h"
#include "util/random_id.h"
#include "util/text.h"

namespace pop {
namespace {

using SteadyTime = Clock::SteadyTime;

struct FinishedEvent {
  std::size_t operation;
  HandlerResult result;
};
struct ProgressEvent {
  std::size_t operation;
  double percent;
  std::string message;
};
struct RunningEvent {
  std::size_t operation;
};
struct WakeEvent {};  // cancel() wakes the loop with this
using Event = std::variant<FinishedEvent, ProgressEvent, RunningEvent, WakeEvent>;

// Hands one operation's runner callbacks to the executor thread.
class AttemptListener final : public RunListener {
 public:
  AttemptListener(EventQueue<Event>& queue, std::size_t operation)
      : queue_(queue), operation_(operation) {}
  void on_running() override { queue_.push(RunningEvent{operation_}); }
  void on_progress(double percent, const std::string& message) override {
    queue_.push(ProgressEvent{operation_, percent, message});
  }
  void on_finished(HandlerResult result) override {
    queue_.push(FinishedEvent{operation_, std::move(result)});
  }

 private:
  EventQueue<Event>& queue_;
  std::size_t operation_;
};

// Why the executor asked a running handler to stop.
enum class Termination { kNone, kTimeout, kStopping };

struct OperationRuntime {
  explicit OperationRuntime(EventQueue<Event>& queue, std::size_t operation)
      : listener(queue, operation) {}
  AttemptListener listener;  // outlives `run`, which is declared after it
  std::unique_ptr<HandlerRun> run;
  Termination termination = Termination::kNone;
  double timeout_seconds = 0;
  int maximum_attempts = 1;
  double retry_backoff_seconds = 0;
  std::chrono::milliseconds grace{0};
  std::optional<SteadyTime> timeout_at;  // armed once the handler is running
};

std::string format_seconds(double seconds) {
  std::string text = std::to_string(seconds);
  text.erase(text.find_last_not_of('0') + 1);
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text + "s";
}

// As the executor treats it: a handler that succeeded after its timeout fired failed.
AttemptEnd attempt_end(const HandlerResult& result, Termination termination) {
  if (termination == Termination::kTimeout) return AttemptEnd::kTimedOut;
  if (result.succeeded) return AttemptEnd::kSucceeded;
  if (termination == Termination::kStopping || result.terminated) return AttemptEnd::kStopped;
  return AttemptEnd::kFailed;
}

}  // namespace

std::string_view attempt_end_name(AttemptEnd end) {
  switch (end) {
    case AttemptEnd::kSucceeded:
      return "succeeded";
    case AttemptEnd::kFailed:
      return "failed";
    case AttemptEnd::kTimedOut:
      return "timed_out";
    case AttemptEnd::kStopped:
      return "stopped";
  }
  return "failed";
}

class Executor::Impl {
 public:
  Impl(const ValidatedAgenda& agenda, const HandlerRegistry& registry, Runner& runner,
       ExecutorOptions options)
      : agenda_(agenda.agenda),
        graph_(agenda.graph),
        registry_(registry),
        runner_(runner),
        options_(std::move(options)),
        clock_(*options_.clock),
        names_(index_operation_names(agenda_)),
        already_succeeded_(agenda_.operations.size(), false),
        outputs_(options_.limits, agenda_.operations.size()),
        random_(random_seed()) {
    if (options_.concurrency == 0) options_.concurrency = 1;
    progress_.agenda_id = agenda_.id;
    runtime_.reserve(agenda_.operations.size());
    for (std::size_t i = 0; i < agenda_.operations.size(); ++i) {
      runtime_.push_back(std::make_unique<OperationRuntime>(queue_, i));
      OperationProgress operation;
      operation.operation = agenda_.operations[i].name;
      progress_.operations.push_back(std::move(operation));
    }
  }

  ~Impl() {
    // Destroying a HandlerRun kills its handler; do it before the listeners go away.
    for (auto& runtime : runtime_) runtime->run.reset();
  }

  Result<void> resume_from(const AgendaProgress& earlier) {
    for (const auto& previous : earlier.operations) {
      auto it = names_.find(fold_name(previous.operation));
      if (it == names_.end()) {
        return fail(ErrorCode::kInvalidArgument, "progress names operation \"" +
                                                     previous.operation +
                                                     "\", which the agenda does not have");
      }
      if (previous.state != OperationState::kSucceeded) continue;
      if (auto kept = outputs_.admit(it->second, previous.result_payload); !kept) {
        return fail(ErrorCode::kInvalidArgument, "progress of operation \"" + previous.operation +
                                                     "\": " + kept.error().message);
      }
      OperationProgress& current = progress_.operations[it->second];
      current.state = OperationState::kSucceeded;
      current.percent_complete = 100;
      current.result_payload = previous.result_payload;
      current.attempt_count = previous.attempt_count;
      current.started_time = previous.started_time;
      current.attempt_time = previous.attempt_time;
      current.completed_time = previous.completed_time;
      already_succeeded_[it->second] = true;
    }
    return {};
  }

  AgendaProgress run(ExecutionObserver* observer) {
    observer_ = observer;
    plan_.emplace(graph_, already_succeeded_);
    for (const auto& operation : progress_.operations) percent_sum_ += contribution(operation);
    progress_.state = ProcessingState::kExecuting;
    progress_.started_time = clock_.now();
    notify(npos);
    for (;;) {
      handle_cancel_requests();
      if (!stopping()) launch_ready();
      if (running_ == 0 && retry_waits_.empty() && retry_ready_.empty()) break;
      for (auto& event : queue_.wait(next_deadline(), clock_)) dispatch(event);
      handle_deadlines(clock_.steady_now());
    }
    finish();
    return progress_;
  }

  void cancel(bool immediately) {
    if (immediately) cancel_immediately_.store(true);
    cancel_requested_.store(true);
    queue_.push(WakeEvent{});
  }

 private:
  bool stopping() const { return cancel_handled_ || failed_operation_.has_value(); }

  void launch_ready() {
    while (running_ < options_.concurrency && !stopping()) {
      std::size_t operation;
      if (!retry_ready_.empty()) {
        operation = retry_ready_.front();
        retry_ready_.erase(retry_ready_.begin());
      } else if (plan_->has_ready()) {
        operation = plan_->take_ready();
      } else {
        break;
      }
      launch(operation);
    }
  }

  void launch(std::size_t index) {
    const Operation& operation = agenda_.operations[index];
    OperationRuntime& runtime = *runtime_[index];
    OperationProgress& progress = progress_.operations[index];

    auto spec = registry_.resolve(operation.type, operation.params);
    if (!spec) return fail_before_start(index, spec.error().message);
    auto payload = resolve_payload(index);
    if (!payload)
      return fail_before_start(index, "cannot resolve payload: " + payload.error().message);

    runtime.timeout_seconds = spec->timeout_seconds;
    runtime.maximum_attempts = spec->maximum_attempts;
    runtime.retry_backoff_seconds = spec->retry_backoff_seconds;
    runtime.grace = seconds_to_ms(spec->termination_grace_seconds);
    runtime.termination = Termination::kNone;

    LaunchRequest request;
    request.agenda_id = agenda_.id;
    request.operation_name = operation.name;
    request.operation_type = operation.type;
    request.customer_id = options_.customer_id;
    request.resource_pool_id = options_.resource_pool_id;
    request.insight_id = options_.insight_id;
    request.kubernetes_namespace = options_.kubernetes_namespace;
    request.attempt = progress.attempt_count + 1;
    request.payload = std::move(*payload);
    request.handler = std::move(*spec);
    request.log_limit_bytes = options_.log_limit_bytes;
    if (!options_.log_dir.empty()) {
      request.log_path =
          options_.log_dir / (std::to_string(index) + "-" + file_safe_name(operation.name) + "." +
                              std::to_string(request.attempt) + ".log");
    }

    const auto now = clock_.now();
    progress.attempt_count = request.attempt;
    progress.attempt_time = now;
    if (!progress.started_time) progress.started_time = now;
    progress.percent_complete = 0;
    progress.message.clear();
    transition(index, OperationState::kRunning);

    runtime.timeout_at.reset();
    auto run = request.handler.resident.empty() ? runner_.start(request, runtime.listener)
                                                : start_resident(request, runtime.listener, clock_);
    if (!run) {
      // Nothing was started; this counts as a failed attempt, subject to retries.
      if (observer_ != nullptr) {
        const auto at = clock_.steady_now();
        observer_->on_attempt_ended(
            {index, progress.attempt_count, false, AttemptEnd::kFailed, at, at});
      }
      attempt_failed(index, "cannot start handler: " + run.error().message, "");
      notify(index);
      return;
    }
    runtime.run = std::move(*run);
    ++running_;
    notify(index);
  }

  Result<Json> resolve_payload(std::size_t index) {
    ReferenceContext context;
    context.agenda_id = agenda_.id;
    context.operation_name = agenda_.operations[index].name;
    context.operation_output = [this](std::string_view name) -> const Json* {
      auto it = names_.find(fold_name(name));
      if (it == names_.end()) return nullptr;
      const OperationProgress& source = progress_.operations[it->second];
      return source.state == OperationState::kSucceeded ? &source.result_payload : nullptr;
    };
    return resolve_references(agenda_.operations[index].payload, context, options_.limits.payload);
  }

  // A deterministic problem (bad params, unresolvable reference): retrying cannot help.
  void fail_before_start(std::size_t index, const std::string& message) {
    OperationProgress& progress = progress_.operations[index];
    progress.diagnostic_events.push_back({message, clock_.now(), ""});
    transition(index, OperationState::kFailed);
    progress.completed_time = clock_.now();
    record_failure(index);
    notify(index);
  }

  void dispatch(Event& event) {
    if (auto* finished = std::get_if<FinishedEvent>(&event)) {
      on_finished(finished->operation, std::move(finished->result));
    } else if (auto* running = std::get_if<RunningEvent>(&event)) {
      arm_timeout(running->operation);
    } else if (auto* update = std::get_if<ProgressEvent>(&event)) {
      OperationProgress& progress = progress_.operations[update->operation];
      if (progress.state != OperationState::kRunning) return;  // a late line from an ended attempt
      percent_sum_ -= contribution(progress);
      progress.percent_complete = update->percent;
      percent_sum_ += contribution(progress);
      progress.message = std::move(update->message);
      notify(update->operation);
    }
  }

  // A stale event (its attempt failed to start, or already ended) finds no run or an armed
  // timeout and changes nothing.
  void arm_timeout(std::size_t index) {
    OperationRuntime& runtime = *runtime_[index];
    if (!runtime.run || runtime.timeout_at) return;
    runtime.timeout_at = clock_.steady_now() + seconds_to_ms(runtime.timeout_seconds);
    timeouts_.emplace(*runtime.timeout_at, index);
  }

  void on_finished(std::size_t index, HandlerResult result) {
    OperationRuntime& runtime = *runtime_[index];
    OperationProgress& progress = progress_.operations[index];
    runtime.run.reset();
    --running_;
    if (runtime.timeout_at) timeouts_.erase({*runtime.timeout_at, index});
    // A handler that succeeded while being stopped still produced its output: keep it, when
    // there is room for it.
    bool retryable = true;
    if (result.succeeded && runtime.termination != Termination::kTimeout) {
      if (auto kept = outputs_.admit(index, result.output); !kept) {
        result.succeeded = false;
        result.message = kept.error().message;
        // The agenda's outputs kept already fill its budget, and they stay: every further
        // attempt would be refused the same way.
        if (kept.error().code == ErrorCode::kResourceExhausted) {
          retryable = false;
          result.message += " (not retried: the outputs kept already stay)";
        }
      }
    }
    // Told once the output was judged: an output over the budget fails the attempt.
    if (observer_ != nullptr) {
      observer_->on_attempt_ended({index, progress.attempt_count, result.succeeded,
                                   attempt_end(result, runtime.termination), result.launched_at,
                                   result.observed_end_at});
    }
    if (result.succeeded && runtime.termination != Termination::kTimeout) {
      progress.result_payload = std::move(result.output);
      transition(index, OperationState::kSucceeded);
      progress.completed_time = clock_.now();
      plan_->mark_succeeded(index);
    } else if (runtime.termination == Termination::kStopping) {
      progress.diagnostic_events.push_back(
          {cancel_handled_ ? "cancelled" : "cancelled because another operation failed",
           clock_.now(), result.log_tail});
      transition(index, OperationState::kCancelled);
      progress.completed_time = clock_.now();
    } else {
      const std::string reason = runtime.termination == Termination::kTimeout
                                     ? "timed out after " + format_seconds(runtime.timeout_seconds)
                                     : result.message;
      attempt_failed(index, reason, std::move(result.log_tail), retryable);
    }
    notify(index);
  }

  // Records a failed attempt, then schedules a retry (when `retryable` and attempts are left)
  // or fails the operation for good.
  void attempt_failed(std::size_t index, const std::string& reason, std::string log_tail,
                      bool retryable = true) {
    OperationRuntime& runtime = *runtime_[index];
    OperationProgress& progress = progress_.operations[index];
    const auto now = clock_.now();
    progress.diagnostic_events.push_back(
        {"attempt " + std::to_string(progress.attempt_count) + " failed: " + reason, now,
         std::move(log_tail)});
    if (retryable && progress.attempt_count < runtime.maximum_attempts && !stopping()) {
      std::uniform_real_distribution<double> unit(0.0, 1.0);
      const auto delay =
          retry_delay(runtime.retry_backoff_seconds, progress.attempt_count, unit(random_));
      retry_waits_.emplace(clock_.steady_now() + delay, index);
      transition(index, OperationState::kRetrying);
      return;
    }
    transition(index, OperationState::kFailed);
    progress.completed_time = now;
    record_failure(index);
  }

  void record_failure(std::size_t index) {
    if (failed_operation_) return;
    failed_operation_ = index;
    abandon_retries(OperationState::kFailed, "not retried: the agenda is failing");
    if (options_.fail_fast) terminate_running(false);
  }

  // The first request stops everything with grace; an `immediately` request (the second
  // Ctrl-C) escalates to SIGKILL, whenever it comes.
  void handle_cancel_requests() {
    if (cancel_requested_.load() && !cancel_handled_) {
      cancel_handled_ = true;
      abandon_retries(OperationState::kCancelled, "cancelled");
      escalated_ = cancel_immediately_.load();
      terminate_running(escalated_);
    } else if (cancel_handled_ && !escalated_ && cancel_immediately_.load()) {
      escalated_ = true;
      terminate_running(true);
    }
  }

  // Escalation to SIGKILL only: an earlier request may already have sent SIGTERM.
  void terminate_running(bool immediately) {
    for (auto& runtime : runtime_) {
      if (!runtime->run) continue;
      if (runtime->termination == Termination::kNone) runtime->termination = Termination::kStopping;
      runtime->run->terminate(immediately ? std::chrono::milliseconds(0) : runtime->grace);
    }
  }

  void abandon_retries(OperationState state, const std::string& message) {
    std::vector<std::size_t> abandoned(retry_ready_.begin(), retry_ready_.end());
    for (const auto& wait : retry_waits_) abandoned.push_back(wait.second);
    retry_ready_.clear();
    retry_waits_.clear();
    for (std::size_t index : abandoned) {
      OperationProgress& progress = progress_.operations[index];
      progress.diagnostic_events.push_back({message, clock_.now(), ""});
      transition(index, state);
      progress.completed_time = clock_.now();
      notify(index);
    }
  }

  std::optional<SteadyTime> next_deadline() const {
    std::optional<SteadyTime> next;
    if (!timeouts_.empty()) next = timeouts_.begin()->first;
    if (!retry_waits_.empty() && (!next || retry_waits_.begin()->first < *next))
      next = retry_waits_.begin()->first;
    return next;
  }

  void handle_deadlines(SteadyTime now) {
    while (!timeouts_.empty() && timeouts_.begin()->first <= now) {
      const std::size_t index = timeouts_.begin()->second;
      timeouts_.erase(timeouts_.begin());
      OperationRuntime& runtime = *runtime_[index];
      // Already being stopped for another reason: that reason stands.
      if (!runtime.run || runtime.termination != Termination::kNone) continue;
      runtime.termination = Termination::kTimeout;
      runtime.run->terminate(runtime.grace);
    }
    while (!retry_waits_.empty() && retry_waits_.begin()->first <= now) {
      retry_ready_.push_back(retry_waits_.begin()->second);
      retry_waits_.erase(retry_waits_.begin());
    }
  }

  void finish() {
    const auto now = clock_.now();
    if (plan_->succeeded_count() == agenda_.operations.size()) {
      progress_.outcome = AgendaOutcome::kSucceeded;
    } else if (cancel_handled_) {
      progress_.outcome = AgendaOutcome::kCancelled;
      progress_.diagnostic_events.push_back({"agenda cancelled", now, ""});
    } else {
      progress_.outcome = AgendaOutcome::kFailed;
      const std::size_t failed = failed_operation_.value_or(0);
      const OperationProgress& operation = progress_.operations[failed];
      DiagnosticEvent event{"operation \"" + operation.operation + "\" failed", now, ""};
      if (!operation.diagnostic_events.empty()) {
        event.message += ": " + operation.diagnostic_events.back().message;
        event.log_tail = operation.diagnostic_events.back().log_tail;
      }
      progress_.diagnostic_events.push_back(std::move(event));
    }
    progress_.state = ProcessingState::kComplete;
    progress_.completed_time = now;
    progress_.recompute_percent();
    notify(npos);
  }

  void transition(std::size_t index, OperationState to) {
    OperationProgress& progress = progress_.operations[index];
    if (!can_transition(progress.state, to)) {
      // An executor bug, not bad input: fail loudly in tests, keep going in production.
      options_.logger->error("internal error: an operation cannot make this transition",
                             {{"operation", progress.operation},
                              {"from", std::string(state_message_of(progress.state))},
                              {"to", std::string(state_message_of(to))}});
      assert(false);
    }
    percent_sum_ -= contribution(progress);
    if (to != OperationState::kRunning)
      progress.percent_complete = to == OperationState::kSucceeded ? 100 : 0;
    progress.state = to;
    percent_sum_ += contribution(progress);
  }

  // An operation's share of the agenda's percentComplete, times the operation count.
  static double contribution(const OperationProgress& progress) {
    if (progress.state == OperationState::kSucceeded) return 100;
    if (progress.state == OperationState::kRunning)
      return std::clamp(progress.percent_complete, 0.0, 100.0);
    return 0;
  }

  // Kept as a running sum: recomputing it over all operations on every progress line would
  // make a large agenda's executor quadratic.
  void notify(std::size_t index) {
    if (observer_ == nullptr) return;
    progress_.percent_complete = percent_sum_ / static_cast<double>(progress_.operations.size());
    observer_->on_change(progress_, index);
  }

  const Agenda& agenda_;
  const AgendaGraph& graph_;
  const HandlerRegistry& registry_;
  Runner& runner_;
  ExecutorOptions options_;
  const Clock& clock_;
  std::unordered_map<std::string, std::size_t> names_;
  std::vector<bool> already_succeeded_;
  OutputBudget outputs_;
  std::mt19937_64 random_;

  EventQueue<Event> queue_;
  std::vector<std::unique_ptr<OperationRuntime>> runtime_;
  AgendaProgress progress_;
  std::optional<DagPlan> plan_;
  ExecutionObserver* observer_ = nullptr;

  std::size_t running_ = 0;
  double percent_sum_ = 0;
  std::set<std::pair<SteadyTime, std::size_t>> timeouts_;
  std::set<std::pair<SteadyTime, std::size_t>> retry_waits_;
  std::vector<std::size_t> retry_ready_;
  std::optional<std::size_t> failed_operation_;
  std::atomic<bool> cancel_requested_{false};
  std::atomic<bool> cancel_immediately_{false};
  bool cancel_handled_ = false;
  bool escalated_ = false;
};

Executor::Executor(const ValidatedAgenda& agenda, const HandlerRegistry& registry, Runner& runner,
                   ExecutorOptions options)
    : impl_(std::make_unique<Impl>(agenda, registry, runner, std::move(options))) {}

Executor::~Executor() = default;

Result<void> Executor::resume_from(const AgendaProgress& earlier) {
  return impl_->resume_from(earlier);
}

AgendaProgress Executor::run(ExecutionObserver* observer) { return impl_->run(observer); }

void Executor::cancel(bool immediately) { impl_->cancel(immediately); }

}  // namespace pop
