// Runs each handler attempt in a container of its own through the Docker Engine API (or
// podman's Docker-compatible service) over the engine's Unix socket; see
// docs/handler-contract.md for what the handler sees.
//
// Per attempt: a private directory under the runner's work root, bind-mounted at /pop-io
// (POP_OUTPUT_FILE=/pop-io/output.json; a payload above kMaxEnvironmentPayloadBytes as
// /pop-io/payload.json); a container from the spec's image with the spec's command, the
// contract's environment plus the spec's env, cpu and memory limits, and labels naming the
// agenda, operation, customer, resource pool and insight; then start, wait, the exit status,
// the output file, and removal. Every step runs on the attempt's own thread, so start()
// returns at once even while an image is pulled. From its start the container's log is
// followed (container_log_follower.h) into the attempt's log file and tail as it comes, so
// the file grows while the handler runs; the result is passed on once the whole log is in.
//
// terminate(grace) sends SIGTERM, then SIGKILL after the grace; destroying the HandlerRun
// removes the container at once. create() removes containers an earlier process left for the
// same resource pool (found by label), so a crashed puller leaks nothing; each container
// also names its puller process (label pop.owner: pid and start time), and those of a
// puller that still runs on this host are left alone, so several pullers of one pool may
// share an engine (they must see the host's pids, as they do when they share the host).
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "runner/output_file.h"
#include "runner/runner.h"
#include "util/call_counts.h"
#include "util/clock.h"
#include "util/logger.h"

namespace pop {

class DockerRunner final : public Runner {
 public:
  struct Options {
    std::string engine_host{};  // unix:///path/to/docker.sock
    // Parent of the per-attempt directories; the engine bind-mounts them, so it must run on
    // this host (or see the same path).
    std::filesystem::path work_root{};
    // Containers' network: "host" lets handlers reach a server on loopback for reports;
    // "none" isolates them; or a network the engine knows.
    std::string network = "host";
    // Labels every container; the start-up reaper removes this pool's leftovers.
    std::string resource_pool_id{};
    std::size_t log_tail_bytes = 4096;
    std::size_t max_output_bytes = kOutputLimits.max_bytes;
    Logger* logger = &null_logger();  // borrowed
    // Borrowed, and must outlive every run (a run may outlive its runner): stamps attempts
    // and times kill deadlines.
    Clock* clock = &system_clock();
    // Every Engine API call of the runner and its attempts (a run may outlive its runner,
    // so the count is shared), for pop_docker_requests_total.
    std::shared_ptr<CallCounts> engine_calls = std::make_shared<CallCounts>();
  };

  static constexpr std::size_t kMaxEnvironmentPayloadBytes = 64u << 10;
  static constexpr char kManagedByLabel[] = "pop.managedBy=pop";

  // Checks that the engine answers and removes the pool's leftover containers.
  // kUnavailable when the engine cannot be reached.
  static Result<std::unique_ptr<DockerRunner>> create(Options options);

  // Kills every container still running (no grace) and removes it and its directory;
  // listeners hear terminated = true. No listener is called after it returns.
  ~DockerRunner() override;

  Result<std::unique_ptr<HandlerRun>> start(const LaunchRequest& request,
                                            RunListener& listener) override;

  // Containers labelled pop.managedBy=pop and pop.insightId=`insight_id` that are created or
  // running, whoever started them (every puller sharing the engine), plus this runner's own
  // attempts still creating theirs. kUnavailable when the engine does not answer.
  Result<std::optional<std::size_t>> active_handlers(const std::string& insight_id) override;

  // How many leftover containers create() removed.
  std::size_t reaped_at_start() const;

  // pop_docker_requests_total{operation,status}: the Engine API calls made so far.
  metrics::Families metrics() const override;

  class Impl;

 private:
  explicit DockerRunner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pop
