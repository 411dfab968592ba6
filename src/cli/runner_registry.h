// The runners --runner chooses from, by name, as scheduler/algorithm_registry.h does for the
// scheduling algorithms: the built-in runners are listed in one table here; there is no
// run-time registration. It lives in cli/, the layer that may depend on every runner.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/runner_choice.h"
#include "runner/runner.h"
#include "util/clock.h"
#include "util/logger.h"
#include "util/result.h"

namespace pop::cli {

// What a runner is made from; borrowed for the factory's call only, except the logger and the
// clock, which must outlive the runner.
struct RunnerContext {
  const RunnerSettings& settings;
  const std::filesystem::path& work_root;  // exists; per-attempt directories go there
  const std::string& resource_pool_id;     // labels containers and Pods for later clean-up
  Logger& logger;
  Clock& clock;
  const KubernetesRunnerExtras& kubernetes_extras;
};

struct RunnerKind {
  std::string_view name;         // the value of --runner
  std::string_view description;  // how handlers run, for --help: "local processes"
  // True when handlers run on this host, so the built-in ones are this pop; false when they
  // run in the handler image (--image).
  bool handlers_on_host;
  Result<std::unique_ptr<Runner>> (*make)(const RunnerContext& context);
};

// Every runner, the default (local) first, in the order to show them.
std::span<const RunnerKind> runner_kinds();

// The names of runner_kinds(), for --runner's check.
std::vector<std::string> runner_names();

// The runner named `name` (matched exactly). Fails with kInvalidArgument for an unknown
// name; the message lists the known ones.
Result<const RunnerKind*> find_runner(std::string_view name);

}  // namespace pop::cli
