// `pop run`: validates an agenda and executes it locally with the local runner, no server.
// Exit status: 0 succeeded, 1 failed, 2 invalid input, 130 cancelled.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>

#include "cli/commands.h"
#include "cli/error_output.h"
#include "cli/progress_display.h"
#include "cli/signal_watcher.h"
#include "cli/trace_file.h"
#include "engine/executor.h"
#include "model/execution_limits.h"
#include "registry/handler_registry.h"
#include "runner/local/local_runner.h"
#include "runner/local/orphan_reaper.h"
#include "util/json_limits.h"
#include "util/open_file_limit.h"
#include "util/temp_dir.h"

namespace pop::cli {
namespace {

constexpr int kExitSucceeded = 0;
constexpr int kExitFailed = 1;
constexpr int kExitInvalidInput = 2;
constexpr int kExitCancelled = 130;

struct RunSettings {
  std::string agenda_path;
  std::string handlers_path;
  std::size_t concurrency = 32;
  std::string resume_path;
  bool fail_fast = false;
  std::string output = "text";
  std::string log_dir;
  std::string trace_path;
};

// Prints an error with its detail lines to stderr, one per line, and returns exit 2.
int invalid_input(const Error& error) { return print_error("run", "", error, kExitInvalidInput); }

// Reads a file (or stdin for "-"), refusing more than `max_bytes` without reading it all.
Result<std::string> read_input(const std::string& path, std::size_t max_bytes) {
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return fail(ErrorCode::kInvalidArgument, "cannot read " + path);
  }
  std::istream& in = path == "-" ? std::cin : file;
  std::string text;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_bytes) {
      return fail(ErrorCode::kTooLarge, (path == "-" ? std::string("standard input") : path) +
                                            " is larger than the limit of " +
                                            std::to_string(max_bytes) + " bytes");
    }
  }
  return text;
}

Result<AgendaProgress> read_progress(const std::string& path) {
  auto text = read_input(path, kProgressDocumentLimits.max_bytes);
  if (!text) return fail(std::move(text).error());
  auto document = parse_json_limited(*text, kProgressDocumentLimits);
  if (!document) {
    return fail(document.error().code, path + ": " + document.error().message);
  }
  auto progress = agenda_progress_from_json(*document);
  if (!progress) return fail(progress.error().code, path + ": " + progress.error().message);
  return progress;
}

std::string random_agenda_id() {
  std::random_device device;
  std::uniform_int_distribution<unsigned> byte(0, 255);
  std::string id = "local-";
  const char* hex = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) {
    const unsigned value = byte(device);
    id.push_back(hex[value >> 4]);
    id.push_back(hex[value & 15]);
  }
  return id;
}

class RunObserver final : public ExecutionObserver {
 public:
  RunObserver(std::optional<ProgressDisplay>& display, std::optional<TraceFile>& trace)
      : display_(display), trace_(trace) {}
  void on_change(const AgendaProgress& progress, std::size_t operation) override {
    if (display_) display_->on_change(progress, operation);
  }
  void on_attempt_ended(const AttemptRecord& attempt) override {
    if (trace_) trace_->record(attempt);
  }

 private:
  std::optional<ProgressDisplay>& display_;
  std::optional<TraceFile>& trace_;
};

int execute(const RunSettings& settings) {
  // Before any thread exists, so that only the watcher receives SIGINT and SIGTERM.
  std::unique_ptr<Executor> executor;
  std::mutex executor_mutex;
  SignalWatcher signals([&](int, int count) {
    std::lock_guard lock(executor_mutex);
    if (executor) executor->cancel(count > 1);
  });

  HandlerRegistry registry = HandlerRegistry::builtin(current_executable());
  if (!settings.handlers_path.empty()) {
    if (auto merged = registry.merge_file(settings.handlers_path); !merged)
      return invalid_input(merged.error());
  }
  const AgendaLimits limits;
  auto text = read_input(settings.agenda_path, limits.max_document_bytes);
  if (!text) return invalid_input(text.error());
  auto agenda = load_agenda(
      *text, [&](std::string_view type) { return registry.has(type); }, limits);
  if (!agenda) return invalid_input(agenda.error());

  std::optional<AgendaProgress> earlier;
  if (!settings.resume_path.empty()) {
    auto parsed = read_progress(settings.resume_path);
    if (!parsed) return invalid_input(parsed.error());
    earlier = std::move(*parsed);
    // A resumed run is the same agenda: it keeps the id its references already saw.
    std::string& id = agenda->agenda.id;
    if (id.empty()) id = earlier->agenda_id;
    if (!earlier->agenda_id.empty() && earlier->agenda_id != id) {
      return invalid_input({ErrorCode::kInvalidArgument,
                            settings.resume_path + " is the progress of agenda \"" +
                                earlier->agenda_id + "\", not of \"" + id + "\"",
                            {}});
    }
  }
  if (agenda->agenda.id.empty()) agenda->agenda.id = random_agenda_id();
  if (signals.first_signal() != 0) return kExitCancelled;  // nothing has started yet

  // Operations that could not run for lack of descriptors would fail the agenda (three or
  // so per running operation).
  raise_open_file_limit();
  // Handlers that escape their process group are re-parented to us, and ended below.
  become_subreaper();
  auto work_root = TempDir::create("pop-run-");
  if (!work_root) return invalid_input(work_root.error());
  auto runner = LocalRunner::create({work_root->path()});
  if (!runner) return invalid_input(runner.error());

  ExecutorOptions options;
  options.concurrency = settings.concurrency;
  options.fail_fast = settings.fail_fast;
  if (!agenda->agenda.customer_id.empty()) options.customer_id = agenda->agenda.customer_id;
  options.log_dir = settings.log_dir;
  if (!options.log_dir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(options.log_dir, error);
    if (error)
      return invalid_input(
          {ErrorCode::kInvalidArgument, "cannot create --log-dir " + settings.log_dir, {}});
  }

  std::optional<ProgressDisplay> display;
  if (settings.output == "text") display.emplace(stdout, isatty(STDOUT_FILENO) == 1);
  std::optional<TraceFile> trace;
  if (!settings.trace_path.empty()) trace.emplace(std::chrono::steady_clock::now());
  RunObserver observer(display, trace);

  {
    std::lock_guard lock(executor_mutex);
    executor = std::make_unique<Executor>(*agenda, registry, **runner, options);
    if (earlier) {
      if (auto resumed = executor->resume_from(*earlier); !resumed)
        return invalid_input(resumed.error());
    }
    // A signal that arrived while we were validating still cancels the run.
    if (signals.first_signal() != 0) executor->cancel();
  }
  const AgendaProgress result = executor->run(&observer);
  {
    std::lock_guard lock(executor_mutex);
    executor.reset();
  }
  runner->reset();
  kill_and_reap_children();

  if (trace) {
    if (auto written = trace->write(settings.trace_path, agenda->agenda); !written)
      std::fprintf(stderr, "pop run: %s\n", written.error().message.c_str());
  }
  if (display) display->finish(result);
  if (settings.output == "json") {
    // Replace, not throw: diagnostics quote handlers' bytes, made UTF-8 where they are read; one
    // that slipped through must not cost the whole report.
    std::cout << agenda_progress_to_json(result).dump(2, ' ', false, Json::error_handler_t::replace)
              << std::endl;
  }

  switch (result.outcome) {
    case AgendaOutcome::kSucceeded:
      return kExitSucceeded;
    case AgendaOutcome::kCancelled:
      return kExitCancelled;
    default:
      return kExitFailed;
  }
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto settings = std::make_shared<RunSettings>();
  CLI::App* run = app.add_subcommand("run", "Execute an agenda locally, without a server");
  run->footer(
      "Exit status: 0 succeeded, 1 failed, 2 invalid input (errors on stderr, one per line), "
      "130 cancelled (SIGINT/SIGTERM; a second signal kills handlers at once).");
  run->add_option("agenda", settings->agenda_path, "Agenda JSON file, or - for standard input")
      ->required();
  run->add_option("--handlers", settings->handlers_path,
                  "Handler registry (JSON or YAML) added to the built-in handlers");
  run->add_option("--concurrency,-j", settings->concurrency, "Operations running at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  run->add_option("--resume", settings->resume_path,
                  "Progress JSON of an earlier run: its succeeded operations are not run again");
  run->add_flag(
      "--fail-fast", settings->fail_fast,
      "When an operation fails for good, stop the running ones instead of letting them finish");
  run->add_option("--output,-o", settings->output,
                  "text: progress and summary; json: exactly one AgendaProgress document on stdout")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  run->add_option("--log-dir", settings->log_dir, "Keep each attempt's log in this directory");
  run->add_option("--trace", settings->trace_path,
                  "Write a Chrome trace of all attempts to this file");
  return {run, [settings] { return execute(*settings); }};
}

}  // namespace pop::cli
