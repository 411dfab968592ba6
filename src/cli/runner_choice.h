// The --runner choice of `pop server` (embedded puller), `pop puller` and `pop run`: which
// Runner executes handlers, with its options, and the built-in handlers as that runner
// starts them (a host path for local processes, `pop` inside the handler image otherwise).
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "handlers/handler_registry.h"
#include "runner/runner.h"

namespace pop::cli {

struct RunnerSettings {
  std::string kind = "local";  // local | docker
  std::string docker_host;     // empty: $DOCKER_HOST, else the engine's default socket
  std::string docker_network = "host";
  // The image of the built-in handlers under a container runner (scripts/build-handler-image.sh).
  std::string image = "pop:local";
};

void add_runner_options(CLI::App& command, RunnerSettings& settings);

// The built-in handlers for the chosen runner, then the registry file when one is named.
// `report_ca`: the CA a local handler's curl should trust for the report endpoint (put into
// POP_REPORT_CA unless the environment sets it); container handlers do not see host paths.
Result<HandlerRegistry> handler_registry_for(const RunnerSettings& settings,
                                             const std::string& registry_file,
                                             const std::string& report_ca);

// The runner; `work_root` must exist (per-attempt directories go there), and
// `resource_pool_id` labels containers so that a restart can remove its predecessor's.
Result<std::unique_ptr<Runner>> create_runner(const RunnerSettings& settings,
                                              const std::filesystem::path& work_root,
                                              const std::string& resource_pool_id);

}  // namespace pop::cli
