#include "runner/local/local_runner.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runner/attempt_run.h"
#include "runner/handler_environment.h"
#include "runner/local/child_process.h"
#include "runner/local/io_wakeup.h"
#include "runner/local/pipe.h"
#include "runner/local/progress_stream.h"
#include "runner/local/run_control.h"
#include "runner/log_sink.h"
#include "runner/output_file.h"
#include "util/temp_dir.h"
#include "util/text.h"
#include "util/write_file.h"

extern char** environ;

namespace pop {
namespace {

using SteadyTime = Clock::SteadyTime;

// What an epoll event is about: the attempt id in the high bits, the source in the low two.
enum class Source : std::uint64_t { kWakeup = 0, kLog = 1, kProgress = 2, kExit = 3 };

std::uint64_t event_key(std::uint64_t attempt_id, Source source) {
  return attempt_id << 2 | static_cast<std::uint64_t>(source);
}

// A readable, bounded directory name for the attempt; uniqueness comes from TempDir.
std::string work_dir_prefix(const LaunchRequest& request) {
  return file_safe_name(request.operation_name, 48) + "-" + std::to_string(request.attempt) + "-";
}

// The I/O thread's view of one running attempt.
struct HandlerProcess {
  std::uint64_t id;
  std::string insight_id;
  std::shared_ptr<RunControl> control;
  UniqueFd log_pipe;
  UniqueFd progress_pipe;
  LogSink log;
  ProgressStream progress;
  std::optional<TempDir> work_dir;
  std::filesystem::path output_path;
  WallTime started;
  SteadyTime launched_at;
  std::optional<SteadyTime> scheduled_kill;
};

}  // namespace

class LocalRunner::Impl {
 public:
  Impl(Options options, UniqueFd epoll, std::shared_ptr<IoWakeup> wakeup)
      : options_(std::move(options)),
        epoll_(std::move(epoll)),
        wakeup_(std::move(wakeup)),
        thread_([this] { loop(); }) {}

  // Kills what still runs and lets the I/O thread finish it as usual (listeners hear
  // terminated = true), then stops the thread.
  ~Impl() {
    std::vector<std::shared_ptr<RunControl>> running;
    {
      std::lock_guard lock(mutex_);
      shutting_down_ = true;
      for (auto& [id, attempt] : attempts_) running.push_back(attempt->control);
    }
    // Outside mutex_: the I/O thread may hold a control's mutex in a listener callback
    // that calls start(), which takes mutex_.
    for (auto& control : running) control->shut_down();
    wakeup_->wake();
    thread_.join();
  }

  Result<std::unique_ptr<HandlerRun>> start(const LaunchRequest& request, RunListener& listener);

  std::size_t active_handlers(const std::string& insight_id) {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(
        std::count_if(attempts_.begin(), attempts_.end(),
                      [&](const auto& entry) { return entry.second->insight_id == insight_id; }));
  }

 private:
  Result<void> watch(int fd, std::uint64_t attempt_id, Source source);
  void loop();
  int epoll_timeout_ms() const;
  HandlerProcess* find(std::uint64_t attempt_id);
  void on_wakeup();
  void kill_overdue();
  // One read into buffer_; closes the pipe at end of file or on error.
  std::string_view read_pipe(UniqueFd& pipe);
  void read_log(HandlerProcess& attempt);
  void read_progress(HandlerProcess& attempt);
  void report(HandlerProcess& attempt, const std::vector<ProgressStream::Report>& reports);
  void drain(HandlerProcess& attempt);
  void finish(HandlerProcess& attempt);

  const Options options_;
  const UniqueFd epoll_;
  const std::shared_ptr<IoWakeup> wakeup_;
  std::atomic<std::uint64_t> next_attempt_id_{1};

  std::mutex mutex_;
  // Inserted by start(), erased only by the I/O thread, so a pointer the I/O thread looked
  // up stays valid until it erases the entry itself.
  std::unordered_map<std::uint64_t, std::unique_ptr<HandlerProcess>>
      attempts_;                // guarded by mutex_
  bool shutting_down_ = false;  // guarded by mutex_

  // I/O thread only.
  std::set<std::pair<SteadyTime, std::uint64_t>> kill_deadlines_;
  std::vector<char> buffer_ = std::vector<char>(64u << 10);

  std::thread thread_;  // last: starts once everything above exists
};

Result<void> LocalRunner::Impl::watch(int fd, std::uint64_t attempt_id, Source source) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = event_key(attempt_id, source);
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
    return fail(ErrorCode::kUnavailable,
                std::string("cannot watch a handler descriptor: ") + std::strerror(errno));
  }
  return {};
}

Result<std::unique_ptr<HandlerRun>> LocalRunner::Impl::start(const LaunchRequest& request,
                                                             RunListener& listener) {
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_) return fail(ErrorCode::kUnavailable, "the local runner is shutting down");
  }
  std::string payload;
  try {
    payload = request.payload.dump();
  } catch (const nlohmann::json::exception& error) {
    return fail(ErrorCode::kInvalidArgument,
                "cannot serialize the payload of " + request.operation_name + ": " + error.what());
  }

  auto work_dir = TempDir::create(work_dir_prefix(request), options_.work_root);
  if (!work_dir) return fail(std::move(work_dir).error());
  // Copied: work_dir moves into the attempt below.
  const std::filesystem::path dir = work_dir->path();
  std::filesystem::path output_path = dir / "output.json";

  HandlerEnvironment::Variables contract = {
      {contract_env::kOutputFile, output_path.string()},
      {contract_env::kAgendaId, request.agenda_id},
      {contract_env::kOperationName, request.operation_name},
      {contract_env::kCustomerId, request.customer_id},
      {contract_env::kAttempt, std::to_string(request.attempt)},
      {contract_env::kProgressFd, std::to_string(ChildProcess::kProgressFd)},
  };
  if (payload.size() > kMaxEnvironmentPayloadBytes) {
    const auto payload_path = dir / "payload.json";
    if (auto written = write_file(payload_path, payload); !written) {
      return fail(std::move(written).error());
    }
    contract.emplace_back(contract_env::kPayloadFile, payload_path.string());
  } else {
    contract.emplace_back(contract_env::kPayload, std::move(payload));
  }
  if (!request.report_url.empty()) {
    contract.emplace_back(contract_env::kReportUrl, request.report_url);
  }
  if (!request.report_token.empty()) {
    contract.emplace_back(contract_env::kReportToken, request.report_token);
  }
  const HandlerEnvironment environment(environ, request.handler.env, contract);

  auto log = LogSink::open(request.log_path, request.log_limit_bytes, options_.log_tail_bytes);
  if (!log) return fail(std::move(log).error());
  auto log_pipe = Pipe::create();
  if (!log_pipe) return fail(std::move(log_pipe).error());
  auto progress_pipe = Pipe::create();
  if (!progress_pipe) return fail(std::move(progress_pipe).error());

  auto child = ChildProcess::spawn({.argv = request.handler.command,
                                    .envp = environment.envp(),
                                    .working_directory = dir,
                                    .output_fd = log_pipe->write_end.get(),
                                    .progress_fd = progress_pipe->write_end.get()});
  if (!child) {
    log->discard();
    return fail(std::move(child).error());
  }
  const auto started = options_.clock->now();
  const auto launched_at = options_.clock->steady_now();
  // Before the I/O thread can see the attempt, so that on_finished cannot come first.
  listener.on_running();
  // Only the handler may hold the write ends, or the pipes would never report end of file.
  log_pipe->write_end.reset();
  progress_pipe->write_end.reset();

  const std::uint64_t id = next_attempt_id_.fetch_add(1, std::memory_order_relaxed);
  auto control =
      std::make_shared<RunControl>(id, std::move(*child), listener, wakeup_, *options_.clock);
  auto attempt = std::make_unique<HandlerProcess>(HandlerProcess{
      .id = id,
      .insight_id = request.insight_id,
      .control = control,
      .log_pipe = std::move(log_pipe->read_end),
      .progress_pipe = std::move(progress_pipe->read_end),
      .log = std::move(*log),
      .progress = {},
      .work_dir = std::move(*work_dir),
      .output_path = std::move(output_path),
      .started = started,
      .launched_at = launched_at,
      .scheduled_kill = std::nullopt,
  });

  // Events may arrive before the attempt is in the map; the I/O thread skips ids it does not
  // know (level-triggered, they come again). On failure, destroying the attempt closes the
  // descriptors, which unregisters them, and kills and reaps the handler.
  Result<void> watched = watch(attempt->log_pipe.get(), id, Source::kLog);
  if (watched) watched = watch(attempt->progress_pipe.get(), id, Source::kProgress);
  if (watched) watched = watch(control->pidfd(), id, Source::kExit);
  {
    std::lock_guard lock(mutex_);
    if (watched && shutting_down_) {
      watched = fail(ErrorCode::kUnavailable, "the local runner is shutting down");
    }
    if (watched) attempts_.emplace(id, std::move(attempt));
  }
  if (!watched) {
    // Before the working directory goes, so that the handler cannot write into it again.
    attempt->control->kill_group_and_reap();
    attempt->log.discard();
    return fail(std::move(watched).error());
  }
  return std::make_unique<AttemptRun<RunControl>>(std::move(control));
}

void LocalRunner::Impl::loop() {
  if (auto watched = watch(wakeup_->fd(), 0, Source::kWakeup); !watched) {
    std::fprintf(stderr, "pop: local runner: %s\n", watched.error().message.c_str());
    std::abort();
  }
  std::vector<epoll_event> events(64);
  for (;;) {
    const int count = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()),
                                   epoll_timeout_ms());
    if (count < 0 && errno != EINTR) {
      // Only a bug (a bad descriptor or argument) gets here; continuing would spin.
      std::fprintf(stderr, "pop: local runner: epoll_wait: %s\n", std::strerror(errno));
      std::abort();
    }
    for (int i = 0; i < count; ++i) {
      const std::uint64_t key = events[static_cast<std::size_t>(i)].data.u64;
      const auto source = static_cast<Source>(key & 3);
      if (source == Source::kWakeup) {
        on_wakeup();
        continue;
      }
      HandlerProcess* attempt = find(key >> 2);
      if (attempt == nullptr) continue;
      switch (source) {
        case Source::kLog:
          read_log(*attempt);
          break;
        case Source::kProgress:
          read_progress(*attempt);
          break;
        case Source::kExit:
          finish(*attempt);
          break;
        case Source::kWakeup:
          break;
      }
    }
    kill_overdue();
    std::lock_guard lock(mutex_);
    if (shutting_down_ && attempts_.empty()) return;
  }
}

int LocalRunner::Impl::epoll_timeout_ms() const {
  if (kill_deadlines_.empty()) return -1;
  const auto wait = kill_deadlines_.begin()->first - options_.clock->steady_now();
  if (wait <= std::chrono::steady_clock::duration::zero()) return 0;
  // Rounded up: waking early would only find nothing due and wait again.
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count());
}

HandlerProcess* LocalRunner::Impl::find(std::uint64_t attempt_id) {
  std::lock_guard lock(mutex_);
  const auto it = attempts_.find(attempt_id);
  return it == attempts_.end() ? nullptr : it->second.get();
}

void LocalRunner::Impl::on_wakeup() {
  for (const std::uint64_t id : wakeup_->take()) {
    HandlerProcess* attempt = find(id);
    if (attempt == nullptr) continue;
    const auto deadline = attempt->control->kill_deadline();
    if (!deadline || deadline == attempt->scheduled_kill) continue;
    if (attempt->scheduled_kill) kill_deadlines_.erase({*attempt->scheduled_kill, id});
    attempt->scheduled_kill = deadline;
    kill_deadlines_.emplace(*deadline, id);
  }
}

void LocalRunner::Impl::kill_overdue() {
  const auto now = options_.clock->steady_now();
  while (!kill_deadlines_.empty() && kill_deadlines_.begin()->first <= now) {
    const std::uint64_t id = kill_deadlines_.begin()->second;
    kill_deadlines_.erase(kill_deadlines_.begin());
    // The pidfd event finishes the attempt once the kill has taken effect.
    if (HandlerProcess* attempt = find(id)) {
      attempt->scheduled_kill.reset();
      attempt->control->kill();
    }
  }
}

std::string_view LocalRunner::Impl::read_pipe(UniqueFd& pipe) {
  const ssize_t n = ::read(pipe.get(), buffer_.data(), buffer_.size());
  if (n > 0) return {buffer_.data(), static_cast<std::size_t>(n)};
  if (n == 0 || (errno != EAGAIN && errno != EINTR)) pipe.reset();
  return {};
}

void LocalRunner::Impl::read_log(HandlerProcess& attempt) {
  if (attempt.log_pipe) attempt.log.append(read_pipe(attempt.log_pipe));
}

void LocalRunner::Impl::read_progress(HandlerProcess& attempt) {
  if (attempt.progress_pipe) {
    report(attempt, attempt.progress.feed(read_pipe(attempt.progress_pipe)));
  }
}

void LocalRunner::Impl::report(HandlerProcess& attempt,
                               const std::vector<ProgressStream::Report>& reports) {
  if (reports.empty()) return;
  attempt.control->notify([&](RunListener& listener) {
    for (const auto& report : reports) {
      listener.on_progress(report.percent_complete, report.message);
    }
  });
}

void LocalRunner::Impl::drain(HandlerProcess& attempt) {
  while (attempt.log_pipe) {
    const std::string_view data = read_pipe(attempt.log_pipe);
    if (data.empty()) break;
    attempt.log.append(data);
  }
  while (attempt.progress_pipe) {
    const std::string_view data = read_pipe(attempt.progress_pipe);
    if (data.empty()) break;
    report(attempt, attempt.progress.feed(data));
  }
  report(attempt, attempt.progress.finish());
}

void LocalRunner::Impl::finish(HandlerProcess& attempt) {
  HandlerResult result;
  result.observed_end_at = options_.clock->steady_now();
  result.ended = options_.clock->now();
  result.started = attempt.started;
  result.launched_at = attempt.launched_at;

  const ExitStatus status = attempt.control->kill_group_and_reap();
  result.exit_code = status.exit_code;
  result.signal = status.signal;
  // With the group killed, the pipes hold (nearly) all they will ever get. Only what is
  // there now is read: the read ends are non-blocking, and a process that left the group
  // may hold a write end open forever.
  drain(attempt);
  attempt.log.close();
  auto output = read_output_file(attempt.output_path, options_.max_output_bytes);
  attempt.work_dir.reset();
  result.log_tail = attempt.log.tail();

  const bool exited_cleanly = status.exit_code == 0;
  result.succeeded = exited_cleanly && output.has_value();
  if (!exited_cleanly) {
    result.message = status.describe();
  } else if (!output) {
    result.message = output.error().message;
  }
  if (output) result.output = std::move(*output);
  const RunControl::Termination termination = attempt.control->termination();
  result.terminated = termination != RunControl::Termination::kNone;
  if (result.terminated && !result.succeeded) {
    result.message.insert(0, termination == RunControl::Termination::kRequested
                                 ? "terminated after request: "
                                 : "terminated by runner shutdown: ");
  }
  if (attempt.scheduled_kill) kill_deadlines_.erase({*attempt.scheduled_kill, attempt.id});

  attempt.control->notify([&](RunListener& listener) { listener.on_finished(std::move(result)); });

  std::unique_ptr<HandlerProcess> done;
  {
    std::lock_guard lock(mutex_);
    const auto it = attempts_.find(attempt.id);
    done = std::move(it->second);
    attempts_.erase(it);
  }
}

Result<std::unique_ptr<LocalRunner>> LocalRunner::create(Options options) {
  std::error_code error;
  options.work_root = std::filesystem::absolute(options.work_root, error);
  if (error || !std::filesystem::is_directory(options.work_root, error)) {
    return fail(ErrorCode::kUnavailable,
                "work root " + options.work_root.string() + " is not a directory");
  }
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll) {
    return fail(ErrorCode::kUnavailable,
                std::string("cannot create an epoll instance: ") + std::strerror(errno));
  }
  auto wakeup = IoWakeup::create();
  if (!wakeup) return fail(std::move(wakeup).error());
  return std::unique_ptr<LocalRunner>(new LocalRunner(
      std::make_unique<Impl>(std::move(options), std::move(epoll), std::move(*wakeup))));
}

LocalRunner::LocalRunner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LocalRunner::~LocalRunner() = default;

Result<std::unique_ptr<HandlerRun>> LocalRunner::start(const LaunchRequest& request,
                                                       RunListener& listener) {
  return impl_->start(request, listener);
}

Result<std::optional<std::size_t>> LocalRunner::active_handlers(const std::string& insight_id) {
  return std::optional<std::size_t>(impl_->active_handlers(insight_id));
}

}  // namespace pop
