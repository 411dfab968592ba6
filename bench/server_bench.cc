// A real `pop server` process driven over loopback HTTP, one fresh server and data
// directory per part:
//   1. durable submits: POST /v1/agendas of a one-operation agenda from 1, 8, 32 and 64
//      keep-alive clients (a thread and a connection each), no puller; submits/s and latency.
//      The rows share one server, so each runs against the agendas of the rows before.
//   2. drain: N agendas whose one operation is /bin/true, then N whose one operation is the
//      resident noop (no process: what POP itself costs), submitted by 8 clients while the
//      embedded puller runs them; from the first submit until none is WAITING or EXECUTING.
//   3. memory: server RSS and SQLite bytes per waiting agenda after N submits, no puller.
//   4. observability cost: parts 1 and 2 on SQLite with metrics, the event stream and attempt
//      logs on (the defaults) and off, alternated (bench_observability), with the server's CPU
//      time per agenda (submits: during the load; drains: from the server's start to the end of
//      the drain).
// Parts 1 and 2 run on SQLite (--data), then on a private PostgreSQL 15 (--store) started
// by the benchmark with fsync on, so that both acknowledge only synced commits, with 1, 2 and 3
// replicas on one database ("PostgreSQL x3": the clients spread over the replicas; in part 2
// every replica runs an embedded puller, and the one that keeps the pool's queues runs them). Part
// 2 ends with its peers on the same cluster: graphile-worker and pg-boss enqueuing and completing
// N no-op jobs with the same concurrency (peer_queues.h, bench/peers/README.md).
//
//   build/bench_server [--quick] [--seconds S] [--drain N] [--waiting N] [--capacity N]
//                      [--dir PATH] [--part 1|2|3|4] [--off 'SERVER FLAGS']
//
// --off: what part 4 compares the defaults with (default: every observability feature off,
// "--no-metrics --event-window 0 --attempt-log-limit-bytes 0"); one of them tells what it costs.
//
// A 201 means the agenda is committed and synced, so PATH (default $TMPDIR or /tmp) must be
// on the disk under test, not a tmpfs. The clients share the machine's cores with the server,
// and the figures move with whatever else the machine runs: the load average is printed.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "auth/admin_token_file.h"
#include "http_client/client.h"
#include "http_client/url.h"
#include "peer_queues.h"
#include "server_process.h"
#include "testing/postgres_cluster.h"
#include "testing/process_stats.h"
#include "testing/subprocess.h"
#include "util/temp_dir.h"

using Json = nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;
using pop::bench::BenchFailure;
using pop::bench::connect;
namespace fs = std::filesystem;
using pop::bench::ServerProcess;

const std::string kSampleAgenda =
    R"({"operations": [{"name": "only", "type": "sample", "payload": {"resultPayload": 1}}]})";
const std::string kTrueAgenda = R"({"operations": [{"name": "only", "type": "true"}]})";
const std::string kNoopAgenda = R"({"operations": [{"name": "only", "type": "noop"}]})";
constexpr int kDrainClients = 8;  // submitting a drain's agendas (and the peers' jobs)

struct LoadResult {
  std::size_t submitted = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;  // sorted

  double rate() const { return static_cast<double>(submitted) / seconds; }
};

double percentile(const std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  return sorted[static_cast<std::size_t>(fraction * static_cast<double>(sorted.size() - 1))];
}

// POSTs `body` from `clients` threads until `count` agendas are in (when given) or `seconds`
// have passed. Anything but a 201 aborts the run.
// Replicas on one store, or a single server; they stop in reverse order when they go.
using Servers = std::vector<std::unique_ptr<ServerProcess>>;

Servers start_servers(const fs::path& parent, const std::vector<std::string>& arguments,
                      int count) {
  Servers servers;
  for (int i = 0; i < count; ++i) {
    servers.push_back(std::make_unique<ServerProcess>(parent, arguments));
    if (i > 0) servers.back()->use_token(servers.front()->token());
  }
  return servers;
}

double servers_cpu_seconds(const Servers& servers) {
  double cpu = 0;
  for (const auto& server : servers) cpu += server->cpu_seconds();
  return cpu;
}

void stop_servers(Servers& servers) {
  for (auto it = servers.rbegin(); it != servers.rend(); ++it) (*it)->stop();
}

// Client i talks to server i modulo their number: the load spreads over replicas.
LoadResult submit_load(const Servers& servers, const std::string& body, int clients,
                       std::optional<std::size_t> count, double seconds) {
  std::vector<pop::http_client::Client> connections;
  for (int i = 0; i < clients; ++i)
    connections.push_back(servers[static_cast<std::size_t>(i) % servers.size()]->client());
  std::atomic<std::size_t> claimed{0};
  std::atomic<bool> stop{false};
  std::mutex failure_mutex;
  std::string failure;
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(clients));
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      auto& client = connections[static_cast<std::size_t>(t)];
      auto& mine = latencies[static_cast<std::size_t>(t)];
      while (!stop.load(std::memory_order_relaxed)) {
        if (count ? claimed.fetch_add(1) >= *count : Clock::now() >= deadline) break;
        const auto begin = Clock::now();
        auto response = client.request("POST", "/v1/agendas", body);
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
        if (!response || response->status != 201) {
          std::lock_guard lock(failure_mutex);
          if (failure.empty()) {
            failure = response ? std::to_string(response->status) + " " + response->body
                               : response.error().message;
          }
          stop = true;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  LoadResult result;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!failure.empty()) throw BenchFailure("submit failed: " + failure);
  for (const auto& mine : latencies) {
    result.latencies_ms.insert(result.latencies_ms.end(), mine.begin(), mine.end());
  }
  std::sort(result.latencies_ms.begin(), result.latencies_ms.end());
  result.submitted = result.latencies_ms.size();
  return result;
}

Json get_json(pop::http_client::Client& client, const std::string& target) {
  auto response = client.request("GET", target);
  if (!response || response->status != 200) {
    throw BenchFailure("GET " + target + ": " +
                       (response ? std::to_string(response->status) + " " + response->body
                                 : response.error().message));
  }
  return Json::parse(response->body);
}

bool any_in_state(pop::http_client::Client& client, const std::string& state) {
  return !get_json(client, "/v1/agendas?limit=1&state=" + state)["items"].empty();
}

// Agendas that completed with success, counted over every page of the listing.
std::size_t count_succeeded(pop::http_client::Client& client) {
  std::size_t succeeded = 0;
  std::string cursor;
  do {
    std::string target = "/v1/agendas?limit=1000&state=COMPLETE";
    if (!cursor.empty()) target += "&cursor=" + pop::http_client::percent_encode(cursor);
    const Json page = get_json(client, target);
    for (const auto& item : page["items"])
      succeeded += item["processingStateMessage"] == "succeeded";
    cursor = page.value("nextCursor", "");
  } while (!cursor.empty());
  return succeeded;
}

// Where a server keeps its agendas: its --data directory, or a PostgreSQL URI.
struct StoreChoice {
  std::string name;  // "SQLite", "PostgreSQL", "PostgreSQL x2"
  // The `pop server` arguments of a new, empty store (each row starts on its own).
  std::function<std::vector<std::string>()> new_store;
  int replicas = 1;  // servers sharing the store, the clients spread over them
};

void bench_submits(const fs::path& parent, double seconds, const std::vector<StoreChoice>& stores) {
  std::printf(
      "1. durable submits: POST /v1/agendas (1 sample operation, %zu B), no puller, %g s "
      "per row\n",
      kSampleAgenda.size(), seconds);
  std::printf("%-13s %8s %11s %9s %9s %9s\n", "store", "clients", "submits/s", "p50 ms", "p99 ms",
              "max ms");
  for (const StoreChoice& store : stores) {
    std::vector<std::string> arguments = store.new_store();
    arguments.push_back("--no-embedded-puller");
    Servers servers = start_servers(parent, arguments, store.replicas);
    for (int clients : {1, 8, 32, 64}) {
      const LoadResult load = submit_load(servers, kSampleAgenda, clients, {}, seconds);
      std::printf("%-13s %8d %11.0f %9.2f %9.2f %9.2f\n", store.name.c_str(), clients, load.rate(),
                  percentile(load.latencies_ms, 0.5), percentile(load.latencies_ms, 0.99),
                  percentile(load.latencies_ms, 1));
      std::fflush(stdout);
    }
    stop_servers(servers);
  }
}

struct DrainResult {
  LoadResult load;
  double drained_seconds = 0;     // from the first submit until all are COMPLETE
  double server_cpu_seconds = 0;  // of every server, from start to the end of the drain

  double rate() const { return static_cast<double>(load.submitted) / drained_seconds; }
};

// Submits `count` agendas of `body` while the embedded puller runs them, on servers started
// with `extra` arguments too.
DrainResult drain(const fs::path& parent, std::size_t count, int capacity, const StoreChoice& store,
                  const std::string& body, const std::vector<std::string>& extra = {}) {
  auto scratch = pop::TempDir::create("pop-server-bench-handlers-", parent);
  if (!scratch) throw BenchFailure(scratch.error().message);
  const fs::path handlers = scratch->path() / "handlers.json";
  std::ofstream(handlers) << R"({"handlers": {"true": {"command": ["/bin/true"]}}})";
  std::vector<std::string> arguments = store.new_store();
  for (const std::string& argument : {std::string("--handlers"), handlers.string(),
                                      std::string("--capacity"), std::to_string(capacity)})
    arguments.push_back(argument);
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  // Each replica runs an embedded puller; only the one that keeps the pool's queues gets work.
  Servers servers = start_servers(parent, arguments, store.replicas);
  auto client = servers.front()->client();
  const auto start = Clock::now();
  const LoadResult load = submit_load(servers, body, kDrainClients, count, 3600);
  // Agendas move WAITING -> EXECUTING -> COMPLETE and neither handler fails, so once all
  // are submitted, no WAITING and then no EXECUTING means all are COMPLETE.
  const auto give_up = Clock::now() + std::chrono::minutes(10);
  while (any_in_state(client, "WAITING") || any_in_state(client, "EXECUTING")) {
    if (Clock::now() > give_up) throw BenchFailure("agendas still running after 10 minutes");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double drained = std::chrono::duration<double>(Clock::now() - start).count();
  const std::size_t succeeded = count_succeeded(client);
  if (succeeded != count) {
    throw BenchFailure(std::to_string(succeeded) + " of " + std::to_string(count) +
                       " agendas succeeded");
  }
  const double cpu = servers_cpu_seconds(servers);
  stop_servers(servers);
  return {load, drained, cpu};
}

void drain_row(const fs::path& parent, std::size_t count, int capacity, const StoreChoice& store,
               const std::string& handler, const std::string& body) {
  const DrainResult result = drain(parent, count, capacity, store, body);
  std::printf("%-13s %-23s %9zu %11.0f %10.2f %10.2f %10.0f\n", store.name.c_str(), handler.c_str(),
              count, result.load.rate(), result.load.seconds, result.drained_seconds,
              result.rate());
  std::fflush(stdout);
}

void bench_drain(const fs::path& parent, std::size_t count, int capacity,
                 const std::vector<StoreChoice>& stores) {
  std::printf(
      "\n2. drain: %zu agendas of one operation, %d submitting clients, embedded puller "
      "--capacity %d\n",
      count, kDrainClients, capacity);
  std::printf("%-13s %-23s %9s %11s %10s %10s %10s\n", "store", "handler", "agendas", "submits/s",
              "submit s", "drain s", "agendas/s");
  for (const StoreChoice& store : stores) {
    drain_row(parent, count, capacity, store, "/bin/true", kTrueAgenda);
    drain_row(parent, count, capacity, store, "noop", kNoopAgenda);
  }
}

// The drain's peers on POP's PostgreSQL cluster: rows in the drain table's columns, jobs for
// agendas, and a line naming what ran them (or why there are none).
void bench_peers(const fs::path& parent, const pop::testing::PostgresCluster& postgres,
                 std::size_t count, int capacity) {
  auto scratch = pop::TempDir::create("pop-server-bench-peers-", parent);
  if (!scratch) throw BenchFailure(scratch.error().message);
  const pop::bench::PeerRun run =
      pop::bench::run_peer_queues(postgres, count, capacity, kDrainClients, scratch->path());
  if (!run.skipped.empty()) {
    std::printf("(peer rows skipped: %s)\n", run.skipped.c_str());
    return;
  }
  std::string versions;
  for (const pop::bench::PeerRow& row : run.rows) {
    std::printf("%-13s %-23s %9zu %11.0f %10.2f %10.2f %10.0f\n", "PostgreSQL", row.peer.c_str(),
                row.jobs, row.enqueue_per_second, row.enqueue_seconds, row.drain_seconds,
                row.jobs_per_second);
    const std::string named = row.peer.substr(0, row.peer.find(' ')) + " " + row.version;
    if (versions.find(named) == std::string::npos) versions += ", " + named;
  }
  std::printf(
      "(peers: no-op jobs on the same cluster, %d enqueuing clients, worker concurrency %d; "
      "node %s%s; bench/peers/README.md)\n",
      kDrainClients, capacity, run.node_version.c_str(), versions.c_str());
  std::fflush(stdout);
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

// What metrics, the event stream (with the server's log of agenda changes) and attempt logs
// cost: the submit and drain figures on SQLite with them on (the defaults) and off, the two
// alternated so that both see the same machine; medians of the rounds, and on / off.
// `off` are the server arguments that turn it off (all of it by default; one thing, to tell
// what each costs).
void bench_observability(const fs::path& parent, std::size_t count, int capacity, double seconds,
                         const std::vector<std::string>& off) {
  constexpr int kRounds = 4;
  constexpr int kSubmitClients = 8;
  std::string off_text;
  for (const std::string& argument : off) off_text += (off_text.empty() ? "" : " ") + argument;
  std::printf(
      "\n4. observability cost on SQLite: on (defaults) and off (%s), %d rounds alternated (and "
      "which goes first); medians\n",
      off_text.c_str(), kRounds);
  const StoreChoice sqlite{"SQLite", [] { return std::vector<std::string>{}; }};
  // A rate (higher is better) and the server's CPU time per item in milliseconds.
  struct Figure {
    double rate = 0;
    double cpu_ms = 0;
  };
  struct Row {
    std::string name;
    std::function<Figure(const std::vector<std::string>&)> measure;
  };
  const std::vector<Row> rows = {
      {"submits/s, " + std::to_string(kSubmitClients) + " clients",
       [&](const std::vector<std::string>& extra) {
         std::vector<std::string> arguments = extra;
         arguments.push_back("--no-embedded-puller");
         Servers servers = start_servers(parent, arguments, 1);
         const double cpu_before = servers_cpu_seconds(servers);
         const LoadResult load = submit_load(servers, kSampleAgenda, kSubmitClients, {}, seconds);
         const double cpu = servers_cpu_seconds(servers) - cpu_before;
         stop_servers(servers);
         return Figure{load.rate(), 1e3 * cpu / static_cast<double>(load.submitted)};
       }},
      {"drain agendas/s, noop",
       [&](const std::vector<std::string>& extra) {
         const DrainResult result = drain(parent, count, capacity, sqlite, kNoopAgenda, extra);
         return Figure{result.rate(), 1e3 * result.server_cpu_seconds / static_cast<double>(count)};
       }},
      {"drain agendas/s, /bin/true",
       [&](const std::vector<std::string>& extra) {
         const DrainResult result = drain(parent, count, capacity, sqlite, kTrueAgenda, extra);
         return Figure{result.rate(), 1e3 * result.server_cpu_seconds / static_cast<double>(count)};
       }},
  };
  std::printf("%-28s %10s %10s %8s %12s %12s\n", "figure", "on", "off", "on/off", "CPU ms on",
              "CPU ms off");
  for (const Row& row : rows) {
    std::vector<Figure> on, off_figures;
    // Which side goes first alternates too: a run is faster or slower for following another
    // (the page cache, the disk still writing back the last one's data).
    for (int round = 0; round < kRounds; ++round) {
      if (round % 2 == 0) {
        on.push_back(row.measure({}));
        off_figures.push_back(row.measure(off));
      } else {
        off_figures.push_back(row.measure(off));
        on.push_back(row.measure({}));
      }
    }
    const auto medians = [](const std::vector<Figure>& figures) {
      std::vector<double> rates, cpu;
      for (const Figure& figure : figures) {
        rates.push_back(figure.rate);
        cpu.push_back(figure.cpu_ms);
      }
      return Figure{median(rates), median(cpu)};
    };
    const Figure on_median = medians(on), off_median = medians(off_figures);
    std::string rounds;
    for (int round = 0; round < kRounds; ++round) {
      char pair[64];
      std::snprintf(pair, sizeof pair, " %.0f/%.0f", on[static_cast<std::size_t>(round)].rate,
                    off_figures[static_cast<std::size_t>(round)].rate);
      rounds += pair;
    }
    std::printf("%-28s %10.0f %10.0f %8.3f %12.3f %12.3f  (on/off by round:%s)\n", row.name.c_str(),
                on_median.rate, off_median.rate, on_median.rate / off_median.rate, on_median.cpu_ms,
                off_median.cpu_ms, rounds.c_str());
    std::fflush(stdout);
  }
}

void bench_memory(const fs::path& parent, std::size_t count) {
  constexpr int kClients = 32;
  std::printf("\n3. memory: %zu waiting agendas (1 sample operation), %d clients, no puller\n",
              count, kClients);
  Servers servers = start_servers(parent, {"--no-embedded-puller"}, 1);
  ServerProcess& server = *servers.front();
  const long rss_before = server.rss_bytes();
  const std::uintmax_t disk_before = server.data_bytes();
  const LoadResult load = submit_load(servers, kSampleAgenda, kClients, count, 3600);
  const long rss_after = server.rss_bytes();
  server.stop();
  const std::uintmax_t disk_after = server.data_bytes();
  const double n = static_cast<double>(count);
  std::printf("%11s %13s %12s %15s %13s\n", "submits/s", "RSS before MB", "RSS after MB",
              "RSS B/agenda", "SQLite B/agenda");
  std::printf("%11.0f %13.1f %12.1f %15.0f %13.0f\n", load.rate(),
              static_cast<double>(rss_before) / 1e6, static_cast<double>(rss_after) / 1e6,
              static_cast<double>(rss_after - rss_before) / n,
              static_cast<double>(disk_after - disk_before) / n);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  std::size_t drain = 10'000, waiting = 100'000;
  int capacity = 16;
  int part = 0;  // 0: all
  std::vector<std::string> off = {"--no-metrics", "--event-window", "0",
                                  "--attempt-log-limit-bytes", "0"};
  fs::path parent;
  bool unknown = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : "";
    if (flag == "--quick") {
      seconds = 1;
      drain = 1'000;
      waiting = 10'000;
      continue;
    }
    if (flag == "--seconds") {
      seconds = std::atof(value);
    } else if (flag == "--drain") {
      drain = std::strtoul(value, nullptr, 10);
    } else if (flag == "--waiting") {
      waiting = std::strtoul(value, nullptr, 10);
    } else if (flag == "--capacity") {
      capacity = std::atoi(value);
    } else if (flag == "--dir") {
      parent = value;
    } else if (flag == "--part") {
      part = std::atoi(value);
    } else if (flag == "--off") {
      off.clear();
      std::istringstream words(value);
      for (std::string word; words >> word;) off.push_back(word);
    } else {
      unknown = true;
    }
    ++i;
  }
  if (unknown || seconds <= 0 || drain == 0 || waiting == 0 || capacity < 1 || part < 0 ||
      part > 4) {
    std::fprintf(stderr,
                 "usage: bench_server [--quick] [--seconds S] [--drain N] [--waiting N] "
                 "[--capacity N] [--dir PATH] [--part 1|2|3|4] [--off 'SERVER FLAGS']   (S > 0, "
                 "every N >= 1)\n");
    return 2;
  }
  // Output piped into a reader that quits (`| head`) must not kill this process before it
  // has stopped its servers and removed their directories.
  std::signal(SIGPIPE, SIG_IGN);
  double load[3] = {0, 0, 0};
  std::ifstream("/proc/loadavg") >> load[0] >> load[1] >> load[2];
  std::printf("pop server over loopback HTTP; data under %s; load average %.2f %.2f %.2f\n\n",
              (parent.empty() ? fs::temp_directory_path() : parent).c_str(), load[0], load[1],
              load[2]);
  try {
    // Each server on PostgreSQL gets a database of its own in one cluster.
    pop::testing::PostgresCluster postgres(pop::testing::PostgresCluster::Sync::kOn);
    int databases = 0;
    const auto new_database = [&] {
      const std::string name = "bench" + std::to_string(++databases);
      if (postgres.psql("CREATE DATABASE " + name).exit_status != 0)
        throw BenchFailure("cannot create database " + name);
      return std::vector<std::string>{"--store", postgres.uri(name)};
    };
    const std::vector<StoreChoice> stores = {{"SQLite", [] { return std::vector<std::string>{}; }},
                                             {"PostgreSQL", new_database},
                                             {"PostgreSQL x2", new_database, 2},
                                             {"PostgreSQL x3", new_database, 3}};
    const auto runs = [part](int which) { return part == 0 || part == which; };
    if (runs(1)) bench_submits(parent, seconds, stores);
    if (runs(2)) {
      bench_drain(parent, drain, capacity, stores);
      bench_peers(parent, postgres, drain, capacity);
    }
    if (runs(3)) bench_memory(parent, waiting);
    if (runs(4)) bench_observability(parent, drain, capacity, seconds, off);
  } catch (const BenchFailure& failure) {
    std::fprintf(stderr, "bench_server: %s\n", failure.what());
    return 1;
  }
  return 0;
}
