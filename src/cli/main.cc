#include <cstdio>
#include <exception>
#include <vector>

#include "cli/commands.h"
#include "util/memory_release.h"

int main(int argc, char** argv) {
  pop::return_large_blocks_to_the_system();
  CLI::App app{"POP: priority operation processing. Runs agendas (JSON DAGs of operations)."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");

  std::vector<pop::cli::Command> commands = {
      pop::cli::add_run_command(app),
      pop::cli::add_server_command(app),
      pop::cli::add_puller_command(app),
      pop::cli::add_handler_command(app),
  };
  commands.push_back(pop::cli::add_executor_command(app));
  commands.push_back(pop::cli::add_events_command(app));
  for (auto& command : pop::cli::add_client_commands(app)) commands.push_back(std::move(command));
  for (auto& command : pop::cli::add_token_commands(app)) commands.push_back(std::move(command));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Usage errors are invalid input: exit status 2, like every other bad input.
    const int status = app.exit(e);
    return status == 0 ? 0 : 2;
  }
  for (const auto& command : commands) {
    if (command.subcommand->parsed()) {
      try {
        return command.action();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "pop: internal error: %s\n", e.what());
        return 1;
      }
    }
  }
  return 2;
}
