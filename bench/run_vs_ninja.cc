// Runs the same graphs of trivial operations (/bin/true) through `pop run` and through
// ninja, and prints wall time for each, the pop/ninja ratio, and the latency from one
// operation's end to the start of its dependant (from pop's --trace; see collect_latencies).
//
//   build/bench_run_vs_ninja [--jobs N] [--repeat N]
//
// Shapes: a 1,000-operation chain, a 1,000-wide fan-out/fan-in, 100 layers of 10 (each
// operation depends on every operation of the layer before). Both tools run with the same
// parallelism; the median of --repeat runs is reported, interleaved so that machine noise
// hits both alike.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "testing/subprocess.h"
#include "util/temp_dir.h"

using Json = nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

struct Shape {
  std::string name;
  std::vector<std::vector<int>> dependencies;  // per operation
};

Shape chain(int n) {
  Shape shape{"chain-1000", std::vector<std::vector<int>>(n)};
  for (int i = 1; i < n; ++i) shape.dependencies[i] = {i - 1};
  return shape;
}

Shape fan_out_in(int width) {
  // 0 is the source, 1..width the fan, width+1 the sink.
  Shape shape{"fan-1000", std::vector<std::vector<int>>(width + 2)};
  for (int i = 1; i <= width; ++i) {
    shape.dependencies[i] = {0};
    shape.dependencies[width + 1].push_back(i);
  }
  return shape;
}

Shape layers(int count, int width) {
  Shape shape{"layers-100x10", std::vector<std::vector<int>>(count * width)};
  for (int layer = 1; layer < count; ++layer) {
    for (int i = 0; i < width; ++i) {
      for (int j = 0; j < width; ++j)
        shape.dependencies[layer * width + i].push_back((layer - 1) * width + j);
    }
  }
  return shape;
}

std::string name_of(int i) { return "op" + std::to_string(i); }

void write_inputs(const Shape& shape, const std::filesystem::path& dir) {
  Json agenda = {{"operations", Json::array()}};
  std::ofstream ninja(dir / "build.ninja");
  ninja << "rule t\n  command = /bin/true\n";
  for (std::size_t i = 0; i < shape.dependencies.size(); ++i) {
    Json operation = {{"name", name_of(static_cast<int>(i))}, {"type", "true"}};
    ninja << "build " << name_of(static_cast<int>(i)) << ": t";
    Json depends = Json::array();
    for (int dependency : shape.dependencies[i]) {
      depends.push_back(name_of(dependency));
      ninja << ' ' << name_of(dependency);
    }
    ninja << '\n';
    if (!depends.empty()) operation["params"]["dependsOn"] = depends;
    agenda["operations"].push_back(operation);
  }
  std::ofstream(dir / "agenda.json") << agenda.dump();
  std::ofstream(dir / "handlers.json") << R"({"handlers": {"true": {"command": ["/bin/true"]}}})";
}

double timed_run(const std::vector<std::string>& argv, const std::filesystem::path& dir) {
  const auto start = Clock::now();
  auto result = pop::testing::run_process(argv, {{"TMPDIR", dir.string()}}, dir.string());
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (result.exit_status != 0) {
    std::fprintf(stderr, "%s failed (%d): %s\n", argv[0].c_str(), result.exit_status,
                 result.err.c_str());
    std::exit(1);
  }
  return seconds;
}

// Dependant start latency: from the end that made an operation startable to its launch.
// That end is its last dependency's, or, when every slot was busy, the end that freed one:
// the latest end of any attempt before the launch. Waiting for a slot is the parallelism
// limit at work, not executor latency, so it is not counted.
void collect_latencies(const Shape& shape, const std::filesystem::path& trace,
                       std::vector<double>& out) {
  std::ifstream in(trace);
  const Json events = Json::parse(in)["traceEvents"];
  std::vector<long> start(shape.dependencies.size()), end(shape.dependencies.size());
  for (const auto& event : events) {
    const std::size_t index = event["args"]["operation"];
    start[index] = event["ts"];
    end[index] = start[index] + event["dur"].get<long>();
  }
  std::vector<long> ends = end;
  std::sort(ends.begin(), ends.end());
  for (std::size_t i = 0; i < shape.dependencies.size(); ++i) {
    if (shape.dependencies[i].empty()) continue;
    long ready = 0;
    for (int dependency : shape.dependencies[i]) ready = std::max(ready, end[dependency]);
    auto freed = std::upper_bound(ends.begin(), ends.end(), start[i]);
    const long enabled = freed == ends.begin() ? ready : std::max(ready, *(freed - 1));
    out.push_back(static_cast<double>(start[i] - enabled) / 1000.0);
  }
}

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[index];
}

double median(std::vector<double> values) { return percentile(std::move(values), 0.5); }

}  // namespace

int main(int argc, char** argv) {
  int jobs = 4;
  int repeat = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--jobs") == 0) jobs = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--repeat") == 0) repeat = std::atoi(argv[i + 1]);
  }
  auto dir = pop::TempDir::create("pop-bench-");
  if (!dir) {
    std::fprintf(stderr, "%s\n", dir.error().message.c_str());
    return 1;
  }
  std::printf("pop run vs ninja, /bin/true operations, -j %d, median of %d runs\n\n", jobs, repeat);
  std::printf("%-15s %10s %10s %8s %14s %14s\n", "shape", "ninja s", "pop s", "ratio",
              "dep start p50", "dep start p99");
  std::vector<double> all_latencies;
  for (const Shape& shape : {chain(1000), fan_out_in(1000), layers(100, 10)}) {
    const auto shape_dir = dir->path() / shape.name;
    std::filesystem::create_directories(shape_dir);
    write_inputs(shape, shape_dir);
    std::vector<double> ninja_times, pop_times, latencies;
    for (int run = 0; run < repeat; ++run) {
      std::filesystem::remove(shape_dir / ".ninja_log");
      ninja_times.push_back(timed_run(
          {"/usr/bin/ninja", "-C", shape_dir.string(), "-j", std::to_string(jobs), "--quiet"},
          shape_dir));
      const auto trace = shape_dir / "trace.json";
      pop_times.push_back(
          timed_run({POP_BINARY, "run", (shape_dir / "agenda.json").string(), "--handlers",
                     (shape_dir / "handlers.json").string(), "--concurrency", std::to_string(jobs),
                     "--output", "json", "--trace", trace.string()},
                    shape_dir));
      collect_latencies(shape, trace, latencies);
    }
    all_latencies.insert(all_latencies.end(), latencies.begin(), latencies.end());
    const double ninja_s = median(ninja_times), pop_s = median(pop_times);
    std::printf("%-15s %10.3f %10.3f %7.2fx %11.3f ms %11.3f ms\n", shape.name.c_str(), ninja_s,
                pop_s, pop_s / ninja_s, percentile(latencies, 0.5), percentile(latencies, 0.99));
  }
  std::printf("\nall shapes: dependant start p50 %.3f ms, p99 %.3f ms (%zu samples)\n",
              percentile(all_latencies, 0.5), percentile(all_latencies, 0.99),
              all_latencies.size());
  return 0;
}
