// What the container runner adds to a container's own cost, and what containers cost over
// local processes. Per operation, in one run on one engine, interleaved round by round so
// that the machine's load falls on every variant alike:
//   bare     create + start + wait + remove of a `true` container straight through the
//            Engine API (what `docker run --rm` does), no runner;
//   runner   DockerRunner::start() of the same container to on_finished (per-attempt
//            directory and bind mount, contract environment, labels, log read, output read,
//            removal);
//   local    LocalRunner with /bin/true, for scale.
// Printed: mean and median milliseconds per operation, and the runner's overhead over bare.
//
//   build/bench_containers --docker-host unix:///path/docker.sock [--rounds N] [--image I]
// `make bench-containers` starts a private engine for it and stops it afterwards.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

#include "docker/docker_engine.h"
#include "runner/docker/docker_runner.h"
#include "runner/local/local_runner.h"
#include "util/temp_dir.h"

namespace {

using Clock = std::chrono::steady_clock;
using pop::HandlerResult;
using pop::LaunchRequest;

class WaitingListener : public pop::RunListener {
 public:
  void on_running() override {}
  void on_progress(double, const std::string&) override {}
  void on_finished(HandlerResult result) override {
    std::lock_guard lock(mutex_);
    result_ = std::move(result);
    done_ = true;
    changed_.notify_all();
  }
  HandlerResult wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return done_; });
    return result_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool done_ = false;
  HandlerResult result_;
};

double run_once(pop::Runner& runner, const LaunchRequest& request) {
  WaitingListener listener;
  const auto start = Clock::now();
  auto run = runner.start(request, listener);
  if (!run) {
    std::fprintf(stderr, "start: %s\n", run.error().message.c_str());
    std::exit(1);
  }
  HandlerResult result = listener.wait();
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (!result.succeeded) {
    std::fprintf(stderr, "attempt failed: %s\n", result.message.c_str());
    std::exit(1);
  }
  return ms;
}

double bare_once(pop::docker::DockerEngine& engine, const std::string& image) {
  const auto start = Clock::now();
  auto id = engine.create_container(
      "", {{"Image", image}, {"Cmd", {"true"}}, {"HostConfig", {{"NetworkMode", "host"}}}});
  if (!id || !engine.start_container(*id) || !engine.wait_container(*id) ||
      !engine.remove_container(*id)) {
    std::fprintf(stderr, "bare container failed\n");
    std::exit(1);
  }
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void print(const char* name, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  const double mean = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
  std::printf("%-8s %8.1f ms mean %8.1f ms median %8.1f ms min\n", name, mean, ms[ms.size() / 2],
              ms.front());
}

double mean_of(const std::vector<double>& ms) {
  return std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = pop::docker::DockerEngine::default_host();
  std::string image = "pop:local";
  int rounds = 30;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--docker-host") == 0) host = argv[i + 1];
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--image") == 0) image = argv[i + 1];
  }
  auto engine = pop::docker::DockerEngine::connect(host);
  if (!engine || !engine->ping()) {
    std::fprintf(stderr, "no container engine at %s\n", host.c_str());
    return 1;
  }
  auto work = pop::TempDir::create("bench-containers-");
  auto docker = pop::DockerRunner::create(
      {.engine_host = host, .work_root = work->path(), .resource_pool_id = "bench"});
  auto local = pop::LocalRunner::create({work->path()});
  if (!docker || !local) {
    std::fprintf(stderr, "cannot create the runners\n");
    return 1;
  }
  LaunchRequest request;
  request.agenda_id = "bench";
  request.operation_name = "true";
  request.operation_type = "true";
  request.handler.command = {"true"};
  request.handler.container.image = image;
  LaunchRequest local_request = request;
  local_request.handler.command = {"/bin/true"};

  std::vector<double> bare, runner, process;
  // One unmeasured round warms the engine's and the kernel's caches.
  bare_once(*engine, image);
  run_once(**docker, request);
  for (int round = 0; round < rounds; ++round) {
    bare.push_back(bare_once(*engine, image));
    runner.push_back(run_once(**docker, request));
    process.push_back(run_once(**local, local_request));
  }
  std::printf("%d operations each, sequential, engine %s\n", rounds, host.c_str());
  print("bare", bare);
  print("runner", runner);
  print("local", process);
  std::printf("container runner overhead over a bare container: %+.1f ms (%.2fx)\n",
              mean_of(runner) - mean_of(bare), mean_of(runner) / mean_of(bare));
  return 0;
}
