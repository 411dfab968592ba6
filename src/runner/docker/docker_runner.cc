#include "runner/docker/docker_runner.h"

#include <atomic>
#include <condition_variable>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "docker/docker_engine.h"
#include "runner/attempt_run.h"
#include "runner/call_count_family.h"
#include "runner/docker/container_log_follower.h"
#include "runner/handler_environment.h"
#include "runner/log_sink.h"
#include "runner/output_file.h"
#include "util/process_identity.h"
#include "util/random_id.h"
#include "util/temp_dir.h"
#include "util/text.h"
#include "util/write_file.h"

namespace pop {
namespace {

using docker::DockerEngine;
using SteadyTime = Clock::SteadyTime;

constexpr char kIoMount[] = "/pop-io";

// Readable in `docker ps`, unique through the random suffix; the engine wants
// [a-zA-Z0-9][a-zA-Z0-9_.-]*, which the "pop-" prefix and file_safe_name guarantee.
std::string container_name(const LaunchRequest& request) {
  return "pop-" + file_safe_name(request.agenda_id, 12) + "-" +
         file_safe_name(request.operation_name, 30) + "-" + std::to_string(request.attempt) + "-" +
         random_uuid().substr(0, 8);
}

// The runner's process: what start-up reaping asks to tell a dead puller's leftovers from the
// containers of pullers of the same pool that still run on this engine.
constexpr char kOwnerLabel[] = "pop.owner";

Json labels_of(const LaunchRequest& request, const std::string& resource_pool_id) {
  return {{"pop.managedBy", "pop"},
          {kOwnerLabel, ProcessIdentity::self().text()},
          {"pop.agendaId", request.agenda_id},
          {"pop.operationName", request.operation_name},
          {"pop.operationType", request.operation_type},
          {"pop.customerId", request.customer_id},
          {"pop.resourcePoolId",
           request.resource_pool_id.empty() ? resource_pool_id : request.resource_pool_id},
          {"pop.insightId", request.insight_id},
          {"pop.attempt", std::to_string(request.attempt)}};
}

// The value at `pointer` in an engine's answer, or null where the answer has none (the
// engine writes null for empty maps such as Labels, and a missing or mistyped field must
// not throw on a runner thread).
Json json_at(const Json& document, const Json::json_pointer& pointer) {
  try {
    return document.contains(pointer) ? document.at(pointer) : Json();
  } catch (const Json::exception&) {
    return Json();
  }
}

// Names the image in every failure, since that is what the user has to fix.
Result<std::string> create_from_image(DockerEngine& engine, const std::string& name,
                                      const Json& config, const ContainerSpec& spec) {
  const std::string& image = spec.image;
  if (spec.image_pull_policy == "Always") {
    if (auto pulled = engine.pull_image(image); !pulled)
      return fail(ErrorCode::kUnavailable, "cannot pull image \"" + image +
                                               "\" (imagePullPolicy "
                                               "Always): " +
                                               pulled.error().message);
  }
  auto created = engine.create_container(name, config);
  if (created || created.error().code != ErrorCode::kNotFound) return created;
  if (spec.image_pull_policy == "Never")
    return fail(ErrorCode::kNotFound,
                "image \"" + image + "\" is not in the container engine (imagePullPolicy Never)");
  if (auto pulled = engine.pull_image(image); !pulled)
    return fail(ErrorCode::kNotFound, "image \"" + image +
                                          "\" is not in the container engine and pulling it "
                                          "failed: " +
                                          pulled.error().message);
  return engine.create_container(name, config);
}

// One attempt: the state its HandlerRun, its own thread and its stopper share. One
// recursive mutex orders listener calls against detach() (no call after it returns) and
// lets a listener terminate or destroy its own run from a callback.
class DockerAttempt {
 public:
  enum class Termination { kNone, kRequested, kShutdown };

  DockerAttempt(LaunchRequest request, const DockerRunner::Options& options, TempDir work_dir,
                Json config, LogSink log, RunListener& listener)
      : request_(std::move(request)),
        options_(options),
        work_dir_(std::move(work_dir)),
        config_(std::move(config)),
        log_(std::move(log)),
        listener_(&listener) {}

  void launch() {
    thread_ = std::thread([this] { run(); });
  }

  // SIGTERM now, SIGKILL after `grace` (or sooner, when a shorter grace comes later).
  void terminate(std::chrono::milliseconds grace, Termination why = Termination::kRequested) {
    std::lock_guard lock(mutex_);
    if (ended_) return;
    if (termination_ == Termination::kNone) termination_ = why;
    const SteadyTime deadline = options_.clock->steady_now() + grace;
    if (!kill_deadline_ || deadline < *kill_deadline_) kill_deadline_ = deadline;
    if (!stopper_.joinable()) stopper_ = std::thread([this] { stop(); });
    changed_.notify_all();
  }

  // The HandlerRun is gone: no more listener calls, and the container goes at once.
  void detach() {
    std::string id;
    {
      std::lock_guard lock(mutex_);
      listener_ = nullptr;
      if (termination_ == Termination::kNone) termination_ = Termination::kRequested;
      id = abandon();
    }
    if (!id.empty()) remove_now(id);
  }

  void shut_down() {
    std::string id;
    {
      std::lock_guard lock(mutex_);
      termination_ = Termination::kShutdown;
      id = abandon();
    }
    if (!id.empty()) remove_now(id);
  }

  bool done() const { return done_.load(); }
  // Launched but without a container yet (being created, or its image pulled).
  bool awaiting_container() const { return !created_.load() && !done_.load(); }
  const std::string& insight_id() const { return request_.insight_id; }

  void join() {
    if (thread_.joinable()) thread_.join();
    // The attempt has ended, so terminate() starts no stopper any more; one it started
    // before is taken under the lock it was started under.
    std::thread stopper;
    {
      std::lock_guard lock(mutex_);
      stopper = std::move(stopper_);
    }
    if (stopper.joinable()) stopper.join();
  }

 private:
  void remove_now(const std::string& id) {
    auto engine = DockerEngine::connect(options_.engine_host, options_.engine_calls.get());
    if (engine) (void)engine->remove_container(id);
  }

  Termination termination() {
    std::lock_guard lock(mutex_);
    return termination_;
  }

  // Whether the container is removed at once, without waiting for its end or its log: the
  // HandlerRun is gone, or the runner shuts down. REQUIRES: mutex_ held.
  bool abandoned() const { return listener_ == nullptr || termination_ == Termination::kShutdown; }

  // After detach() or shut_down() changed the state: stops following the log, whose rest is
  // not wanted, and returns the container to remove. REQUIRES: mutex_ held.
  std::string abandon() {
    if (follower_) follower_->stop();
    changed_.notify_all();
    return container_id_;
  }

  // Follows the started container's log into the attempt's log file as it comes, so the
  // puller ships it while the handler runs.
  void follow_log(const std::string& id) {
    auto engine = DockerEngine::connect(options_.engine_host, options_.engine_calls.get());
    if (!engine) {
      note_unreadable_log(engine.error());
      return;
    }
    auto follower = std::make_unique<ContainerLogFollower>(
        std::move(*engine), id, [this](std::string_view output) { log_.append(output); },
        *options_.clock);
    std::lock_guard lock(mutex_);
    if (abandoned()) follower->stop();
    follower_ = std::move(follower);
  }

  // Waits (a bounded time, see ContainerLogFollower::finish) for the rest of the log once the
  // container has exited, or with `exited` false stops following it, so the result is passed
  // on only once the whole log is in the file.
  // The attempt's thread alone sets follower_, so it reads it without the lock.
  void end_log(bool exited) {
    if (!follower_) return;
    if (!exited) follower_->stop();
    if (auto read = follower_->finish(); !read) note_unreadable_log(read.error());
  }

  // Says in the log itself that it lacks its end.
  void note_unreadable_log(const Error& why) {
    log_.append("[pop: the container's log could not be read: " + why.message + "]\n");
  }

  template <typename F>
  void notify(F&& f) {
    std::lock_guard lock(mutex_);
    if (listener_ != nullptr) f(*listener_);
  }

  void run() {
    HandlerResult result;
    result.started = options_.clock->now();
    result.launched_at = options_.clock->steady_now();
    std::string id;
    std::string failure = execute(result, id);
    {
      // However it ended (also before its container existed): the stopper has nothing left
      // to stop.
      std::lock_guard lock(mutex_);
      ended_ = true;
      changed_.notify_all();
    }
    if (!id.empty()) {
      auto engine = DockerEngine::connect(options_.engine_host, options_.engine_calls.get());
      if (engine) {
        if (auto removed = engine->remove_container(id); !removed)
          options_.logger->warning("cannot remove a container",
                                   {{"container", id}, {"error", removed.error().message}});
      }
      std::lock_guard lock(mutex_);
      container_id_.clear();
    }
    log_.close();
    result.log_tail = log_.tail();
    auto output = read_output_file(work_dir_->path() / "output.json", options_.max_output_bytes);
    work_dir_.reset();
    result.succeeded = failure.empty() && result.exit_code == 0 && output.has_value();
    if (failure.empty() && result.exit_code == 0 && !output) failure = output.error().message;
    if (output) result.output = std::move(*output);
    result.message = result.succeeded ? "" : failure;
    const Termination why = termination();
    result.terminated = why != Termination::kNone;
    if (result.terminated && !result.succeeded) {
      result.message.insert(0, why == Termination::kRequested ? "terminated after request: "
                                                              : "terminated by runner shutdown: ");
    }
    result.ended = options_.clock->now();
    result.observed_end_at = options_.clock->steady_now();
    notify([&](RunListener& listener) { listener.on_finished(std::move(result)); });
    done_.store(true);
  }

  // Creates, starts and waits for the container; the failure in words, or empty when it
  // ran to its end (whatever its exit status). `id` is the container to remove.
  std::string execute(HandlerResult& result, std::string& id) {
    auto engine = DockerEngine::connect(options_.engine_host, options_.engine_calls.get());
    if (!engine) return engine.error().message;
    if (termination() != Termination::kNone) return "stopped before its container was created";
    auto created =
        create_from_image(*engine, container_name(request_), config_, request_.handler.container);
    if (!created) return created.error().message;
    id = *created;
    created_.store(true);
    {
      std::lock_guard lock(mutex_);
      container_id_ = id;
      changed_.notify_all();
      if (termination_ != Termination::kNone) return "stopped before its container started";
    }
    if (auto started = engine->start_container(id); !started) return started.error().message;
    result.started = options_.clock->now();
    result.launched_at = options_.clock->steady_now();
    follow_log(id);
    notify([](RunListener& listener) { listener.on_running(); });

    auto exit = engine->wait_container(id);
    {
      std::lock_guard lock(mutex_);
      ended_ = true;
      changed_.notify_all();
    }
    end_log(exit.has_value());
    if (!exit) return exit.error().message;
    result.exit_code = exit->status_code;
    std::string failure;
    if (exit->status_code != 0) failure = "exited with status " + std::to_string(exit->status_code);
    if (exit->status_code > 128 && termination() != Termination::kNone)
      result.signal = exit->status_code - 128;
    if (auto state = engine->inspect_container(id);
        state && json_at(*state, "/State/OOMKilled"_json_pointer) == Json(true)) {
      failure = "killed: out of memory (memory limit " +
                std::to_string(request_.handler.container.memory_bytes) + " bytes)";
    }
    return failure;
  }

  // Delivers SIGTERM once the container exists, then SIGKILL at the deadline, until the
  // container has ended.
  void stop() {
    auto engine = DockerEngine::connect(options_.engine_host, options_.engine_calls.get());
    if (!engine) return;
    bool term_sent = false;
    std::unique_lock lock(mutex_);
    while (!ended_) {
      if (!container_id_.empty()) {
        const std::string id = container_id_;
        const bool kill = options_.clock->steady_now() >= *kill_deadline_;
        if (kill || !term_sent) {
          lock.unlock();
          (void)engine->kill_container(id, kill ? "SIGKILL" : "SIGTERM");
          lock.lock();
          term_sent = true;
          if (kill) return;
          continue;
        }
      }
      if (container_id_.empty() && options_.clock->steady_now() >= *kill_deadline_) {
        changed_.wait(lock);  // for the container to exist, or the attempt to end
      } else {
        // Until the deadline, or anything the loop looks at changes (terminate() may move
        // the deadline meanwhile).
        const SteadyTime deadline = *kill_deadline_;
        const std::string seen = container_id_;
        options_.clock->wait_until(changed_, lock, deadline, [&] {
          return ended_ || *kill_deadline_ != deadline || container_id_ != seen;
        });
      }
    }
  }

  const LaunchRequest request_;
  // A copy: a HandlerRun may outlive its runner.
  const DockerRunner::Options options_;
  std::optional<TempDir> work_dir_;  // removed once the container is gone
  const Json config_;
  // Written by the follower's thread while it runs, by the attempt's thread before and after.
  LogSink log_;

  std::recursive_mutex mutex_;
  std::condition_variable_any changed_;
  RunListener* listener_;
  std::string container_id_;
  std::unique_ptr<ContainerLogFollower> follower_;
  Termination termination_ = Termination::kNone;
  std::optional<SteadyTime> kill_deadline_;
  bool ended_ = false;
  std::atomic<bool> created_{false};
  std::atomic<bool> done_{false};
  std::thread thread_;
  std::thread stopper_;
};

}  // namespace

class DockerRunner::Impl {
 public:
  Impl(Options options, std::size_t reaped) : options_(std::move(options)), reaped_(reaped) {}

  ~Impl() {
    std::list<std::shared_ptr<DockerAttempt>> attempts;
    {
      std::lock_guard lock(mutex_);
      shutting_down_ = true;
      attempts.swap(attempts_);
    }
    for (auto& attempt : attempts) attempt->shut_down();
    for (auto& attempt : attempts) attempt->join();
  }

  Result<std::unique_ptr<HandlerRun>> start(const LaunchRequest& request, RunListener& listener);

  std::size_t reaped() const { return reaped_; }
  const CallCounts& engine_calls() const { return *options_.engine_calls; }

  Result<std::size_t> active_handlers(const std::string& insight_id) {
    // This runner's attempts still creating their container are counted first: one created
    // after the engine's listing would otherwise be missed (counting it twice instead is the
    // safe side).
    std::size_t creating = 0;
    {
      std::lock_guard lock(mutex_);
      for (const auto& attempt : attempts_) {
        if (attempt->insight_id() == insight_id && attempt->awaiting_container()) ++creating;
      }
    }
    auto engine = DockerEngine::connect(options_.engine_host, options_.engine_calls.get());
    if (!engine) return fail(std::move(engine).error());
    auto listed = engine->list_containers({kManagedByLabel, "pop.insightId=" + insight_id},
                                          {"created", "running"});
    if (!listed) return fail(std::move(listed).error());
    return creating + listed->size();
  }

 private:
  // Joins the threads of attempts that have ended, so they do not pile up.
  void collect_finished() {
    std::list<std::shared_ptr<DockerAttempt>> finished;
    {
      std::lock_guard lock(mutex_);
      for (auto it = attempts_.begin(); it != attempts_.end();) {
        auto next = std::next(it);
        if ((*it)->done()) finished.splice(finished.end(), attempts_, it);
        it = next;
      }
    }
    for (auto& attempt : finished) attempt->join();
  }

  const Options options_;
  const std::size_t reaped_;
  std::mutex mutex_;
  bool shutting_down_ = false;
  std::list<std::shared_ptr<DockerAttempt>> attempts_;
};

Result<std::unique_ptr<HandlerRun>> DockerRunner::Impl::start(const LaunchRequest& request,
                                                              RunListener& listener) {
  collect_finished();
  const ContainerSpec& spec = request.handler.container;
  if (spec.image.empty())
    return fail(ErrorCode::kInvalidArgument, "handler type \"" + request.operation_type +
                                                 "\" has no image for the container runner");
  if (request.handler.command.empty())
    return fail(ErrorCode::kInvalidArgument, "the handler has no command");
  std::string payload;
  try {
    payload = request.payload.dump();
  } catch (const nlohmann::json::exception& error) {
    return fail(ErrorCode::kInvalidArgument,
                "cannot serialize the payload of " + request.operation_name + ": " + error.what());
  }
  auto work_dir = TempDir::create(
      file_safe_name(request.operation_name, 48) + "-" + std::to_string(request.attempt) + "-",
      options_.work_root);
  if (!work_dir) return fail(std::move(work_dir).error());
  const std::filesystem::path dir = work_dir->path();
  // The handler may run as any user of its image.
  std::error_code ignored;
  std::filesystem::permissions(dir, std::filesystem::perms::all, ignored);
  if (auto created = write_file(dir / "output.json", ""); !created)
    return fail(std::move(created).error());
  std::filesystem::permissions(
      dir / "output.json",
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
          std::filesystem::perms::group_read | std::filesystem::perms::group_write |
          std::filesystem::perms::others_read | std::filesystem::perms::others_write,
      ignored);

  const std::string io = kIoMount;
  HandlerEnvironment::Variables contract = {
      {contract_env::kOutputFile, io + "/output.json"},
      {contract_env::kAgendaId, request.agenda_id},
      {contract_env::kOperationName, request.operation_name},
      {contract_env::kCustomerId, request.customer_id},
      {contract_env::kAttempt, std::to_string(request.attempt)},
  };
  if (payload.size() > kMaxEnvironmentPayloadBytes) {
    if (auto written = write_file(dir / "payload.json", payload); !written)
      return fail(std::move(written).error());
    contract.emplace_back(contract_env::kPayloadFile, io + "/payload.json");
  } else {
    contract.emplace_back(contract_env::kPayload, std::move(payload));
  }
  if (!request.report_url.empty())
    contract.emplace_back(contract_env::kReportUrl, request.report_url);
  if (!request.report_token.empty())
    contract.emplace_back(contract_env::kReportToken, request.report_token);
  // Nothing of the puller's own environment: the container has the image's.
  const char* const no_inherited[] = {nullptr};
  const HandlerEnvironment environment(no_inherited, request.handler.env, contract);
  Json env = Json::array();
  for (char* const* entry = environment.envp(); *entry != nullptr; ++entry) env.push_back(*entry);

  Json host_config = {
      {"Binds", {dir.string() + ":" + io}}, {"NetworkMode", options_.network}, {"Init", true}};
  if (spec.memory_bytes > 0) {
    host_config["Memory"] = spec.memory_bytes;
    host_config["MemorySwap"] = spec.memory_bytes;  // no swap beyond the limit
  }
  if (spec.cpu_limit > 0) host_config["NanoCpus"] = static_cast<std::int64_t>(spec.cpu_limit * 1e9);
  // A request is a relative weight under contention (1024 per core), as Kubernetes maps it.
  if (spec.cpu_request > 0)
    host_config["CpuShares"] = std::max<std::int64_t>(2, std::llround(spec.cpu_request * 1024));
  Json config = {{"Image", spec.image},
                 {"Cmd", request.handler.command},
                 {"Env", env},
                 {"Labels", labels_of(request, options_.resource_pool_id)},
                 {"AttachStdin", false},
                 {"Tty", false},
                 {"HostConfig", host_config}};

  auto log = LogSink::open(request.log_path, request.log_limit_bytes, options_.log_tail_bytes);
  if (!log) return fail(std::move(log).error());

  auto attempt = std::make_shared<DockerAttempt>(request, options_, std::move(*work_dir),
                                                 std::move(config), std::move(*log), listener);
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_) return fail(ErrorCode::kUnavailable, "the docker runner is shutting down");
    attempts_.push_back(attempt);
    attempt->launch();
  }
  return std::make_unique<AttemptRun<DockerAttempt>>(std::move(attempt));
}

Result<std::unique_ptr<DockerRunner>> DockerRunner::create(Options options) {
  auto engine = DockerEngine::connect(options.engine_host, options.engine_calls.get());
  if (!engine) return fail(std::move(engine).error());
  if (auto ping = engine->ping(); !ping) return fail(std::move(ping).error());
  std::size_t reaped = 0;
  if (!options.resource_pool_id.empty()) {
    auto leftovers = engine->list_containers(
        {kManagedByLabel, "pop.resourcePoolId=" + options.resource_pool_id});
    if (!leftovers) return fail(std::move(leftovers).error());
    for (const auto& id : *leftovers) {
      auto state = engine->inspect_container(id);
      if (!state) {
        if (state.error().code == ErrorCode::kNotFound) continue;  // removed meanwhile
        return fail(std::move(state).error());
      }
      const Json owner_label = json_at(*state, Json::json_pointer("/Config/Labels") / kOwnerLabel);
      const auto owner = ProcessIdentity::parse(
          owner_label.is_string() ? owner_label.get_ref<const std::string&>() : "");
      if (owner && owner->alive()) continue;  // another puller of the pool, still running
      if (auto removed = engine->remove_container(id); !removed)
        return fail(std::move(removed).error());
      ++reaped;
    }
  }
  return std::unique_ptr<DockerRunner>(
      new DockerRunner(std::make_unique<Impl>(std::move(options), reaped)));
}

DockerRunner::DockerRunner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DockerRunner::~DockerRunner() = default;

Result<std::unique_ptr<HandlerRun>> DockerRunner::start(const LaunchRequest& request,
                                                        RunListener& listener) {
  return impl_->start(request, listener);
}

std::size_t DockerRunner::reaped_at_start() const { return impl_->reaped(); }

metrics::Families DockerRunner::metrics() const {
  return {call_count_family("pop_docker_requests_total",
                            "Docker Engine API calls of this runner, by operation and status "
                            "(0: no answer).",
                            "operation", impl_->engine_calls().snapshot())};
}

Result<std::optional<std::size_t>> DockerRunner::active_handlers(const std::string& insight_id) {
  auto count = impl_->active_handlers(insight_id);
  if (!count) return fail(std::move(count).error());
  return std::optional<std::size_t>(*count);
}

}  // namespace pop
