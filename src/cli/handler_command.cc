#include <unistd.h>

#include <csignal>

#include "cli/commands.h"
#include "handlers/sample_handler.h"

namespace pop::cli {
namespace {

extern "C" void end_as_if_killed(int signal_number) { ::_exit(128 + signal_number); }

// As a container's first process (PID 1, as in a Pod), a handler gets no default action for
// SIGTERM and SIGINT: the kernel drops them, and a timeout or cancel would wait out the whole
// grace period for the SIGKILL. Ending on them as the default action would keeps stopping
// prompt under every runner.
void end_on_termination_signals_as_pid_1() {
  if (::getpid() != 1) return;
  std::signal(SIGTERM, end_as_if_killed);
  std::signal(SIGINT, end_as_if_killed);
}

}  // namespace

Command add_handler_command(CLI::App& app) {
  CLI::App* handler = app.add_subcommand(
      "handler",
      "Run a built-in handler. Runners start these; they read the handler contract's "
      "environment (POP_PAYLOAD or POP_PAYLOAD_FILE, POP_OUTPUT_FILE, POP_PROGRESS_FD).");
  handler->require_subcommand(1);

  CLI::App* sample = handler->add_subcommand(
      "sample",
      "The sample handler: logs lines, sleeps while reporting progress, fails on request and "
      "returns a given result. Exit status: the payload's exitCode (default 0); 1 or exitCode "
      "after an \"exception\" action; 2 for a malformed payload.");
  sample->footer(
      "Payload:\n"
      "  {\"actions\": [{\"action\": \"log\",\n"
      "                \"paramsMap\": {\"logMessage\": \"...\", \"sleepMilliseconds\": 500}},\n"
      "               {\"action\": \"exception\", \"paramsMap\": {\"message\": \"...\"}}],\n"
      "   \"resultPayload\": {...}, \"exitCode\": 0}\n"
      "Actions run in order; resultPayload is written to POP_OUTPUT_FILE on success.\n"
      "Try: POP_PAYLOAD='{\"actions\":[{\"action\":\"log\",\"paramsMap\":"
      "{\"logMessage\":\"hi\"}}]}' pop handler sample");

  // `handler` has exactly one subcommand, and CLI11 has made sure it was given.
  return {handler, [] {
            end_on_termination_signals_as_pid_1();
            return run_sample_handler();
          }};
}

}  // namespace pop::cli
