// Each subcommand of `pop` registers itself on the CLI11 app and returns the action to run
// when it is selected. main() wires them together explicitly.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace pop::cli {

// A registered subcommand and what to do when it is selected (returns the exit status).
struct Command {
  CLI::App* subcommand;
  std::function<int()> action;
};

// `pop run AGENDA ...`: executes an agenda locally with no server.
Command add_run_command(CLI::App& app);
// `pop server`: the API, store, scheduler and an embedded puller.
Command add_server_command(CLI::App& app);
// `pop puller`: a standalone puller over HTTP.
Command add_puller_command(CLI::App& app);
// `pop executor`: one agenda leased by a puller, run to its end (an executor Pod's command).
Command add_executor_command(CLI::App& app);
// `pop submit`, `pop status`, `pop watch`: the client of a server.
std::vector<Command> add_client_commands(CLI::App& app);
// `pop events`: the server's live event stream.
Command add_events_command(CLI::App& app);
// `pop token create|list|revoke`: API tokens.
std::vector<Command> add_token_commands(CLI::App& app);
// `pop handler sample`: the built-in handlers, as run by the runners.
Command add_handler_command(CLI::App& app);

}  // namespace pop::cli
