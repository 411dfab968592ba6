#include "cli/runner_choice.h"

#include <cstdlib>

#include "docker/docker_engine.h"
#include "runner/docker_runner.h"
#include "runner/local_runner.h"

namespace pop::cli {
namespace {
// Where scripts/build-handler-image.sh puts pop in the handler image.
constexpr char kPopInImage[] = "/usr/local/bin/pop";
}  // namespace

void add_runner_options(CLI::App& command, RunnerSettings& settings) {
  command
      .add_option("--runner", settings.kind,
                  "How handlers run: local processes, or docker containers (Docker Engine API)")
      ->capture_default_str()
      ->check(CLI::IsMember({"local", "docker"}));
  command.add_option("--docker-host", settings.docker_host,
                     "Docker-compatible engine socket, unix:///path (default: $DOCKER_HOST, "
                     "else unix:///var/run/docker.sock)");
  command
      .add_option("--docker-network", settings.docker_network,
                  "Network of handler containers: host (reach the server on loopback), none, "
                  "or a network of the engine")
      ->capture_default_str();
  command
      .add_option("--image", settings.image,
                  "Image of the built-in handlers under a container runner (see "
                  "scripts/build-handler-image.sh)")
      ->capture_default_str();
}

Result<HandlerRegistry> handler_registry_for(const RunnerSettings& settings,
                                             const std::string& registry_file,
                                             const std::string& report_ca) {
  const bool local = settings.kind == "local";
  HandlerRegistry registry = HandlerRegistry::builtin(local ? current_executable() : kPopInImage);
  if (!local) {
    if (auto merged = registry.merge_json(
            {{"handlers",
              {{"sample",
                {{"command", {kPopInImage, "handler", "sample"}}, {"image", settings.image}}}}}},
            "--image");
        !merged)
      return tl::unexpected(merged.error());
  }
  if (local && !report_ca.empty() && std::getenv("POP_REPORT_CA") == nullptr) {
    const nlohmann::json env = {{"POP_REPORT_CA", std::filesystem::absolute(report_ca).string()}};
    if (auto merged = registry.merge_json({{"defaults", {{"env", env}}}}, "report CA"); !merged)
      return tl::unexpected(merged.error());
  }
  if (!registry_file.empty()) {
    if (auto merged = registry.merge_file(registry_file); !merged)
      return tl::unexpected(merged.error());
  }
  return registry;
}

Result<std::unique_ptr<Runner>> create_runner(const RunnerSettings& settings,
                                              const std::filesystem::path& work_root,
                                              const std::string& resource_pool_id) {
  if (settings.kind == "docker") {
    DockerRunner::Options options;
    options.engine_host =
        settings.docker_host.empty() ? docker::DockerEngine::default_host() : settings.docker_host;
    options.work_root = work_root;
    options.network = settings.docker_network;
    options.resource_pool_id = resource_pool_id;
    auto runner = DockerRunner::create(std::move(options));
    if (!runner) return tl::unexpected(runner.error());
    if ((*runner)->reaped_at_start() > 0)
      std::fprintf(stderr, "pop: removed %zu container(s) an earlier run of pool \"%s\" left\n",
                   (*runner)->reaped_at_start(), resource_pool_id.c_str());
    return std::unique_ptr<Runner>(std::move(*runner));
  }
  auto runner = LocalRunner::create({work_root});
  if (!runner) return tl::unexpected(runner.error());
  return std::unique_ptr<Runner>(std::move(*runner));
}

}  // namespace pop::cli
