// How fast the SQLite store accepts durable agenda submissions: every insert (a ~1 KiB
// agenda document plus its progress) is committed and synced before it returns, as a 201
// from the server will require. Prints inserts per second, latency percentiles and commits
// per second for 1, 8 and 64 concurrent submitters; commits/s far below inserts/s is group
// commit at work.
//
//   store_bench [--seconds N] [--dir PATH]   (PATH must be on the disk under test; /tmp by
//                                             default, which must not be a tmpfs to mean much)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "util/temp_dir.h"

namespace {

using pop::store::AgendaRecord;
using pop::store::Json;
using pop::store::NewAgenda;
using Clock = std::chrono::steady_clock;

// A typical agenda: four operations of the sample handler with payloads and references.
Json agenda_document(const std::string& id) {
  Json document = {{"id", id},
                   {"title", "transcode and publish " + id},
                   {"params", {{"maximumAttempts", 3}, {"externalId", "ext-" + id}}},
                   {"operations", Json::array()}};
  for (int i = 0; i < 4; ++i) {
    const std::string name = "step" + std::to_string(i);
    Json operation = {{"name", name},
                      {"type", "sample"},
                      {"payload",
                       {{"actions",
                         {{{"action", "log"}, {"message", "starting " + name + " of " + id}},
                          {{"action", "sleep"}, {"milliseconds", 100 * i}}}},
                        {"output", "s3://media-bucket/" + id + "/" + name + ".mp4"}}},
                      {"params", {{"timeoutSeconds", 600}, {"retries", 2}}}};
    if (i > 0) operation["payload"]["input"] = "@<step" + std::to_string(i - 1) + ".out::output>";
    document["operations"].push_back(std::move(operation));
  }
  return document;
}

NewAgenda new_agenda(const std::string& id, int customer) {
  NewAgenda agenda;
  const auto now = std::chrono::system_clock::now();
  agenda.agenda.id = id;
  agenda.agenda.customer_id = "customer-" + std::to_string(customer);
  agenda.agenda.resource_pool_id = "pool-1";
  agenda.agenda.insight_id = "insight-1";
  agenda.agenda.added_time = now;
  agenda.agenda.updated_time = now;
  agenda.agenda.document = agenda_document(id);
  agenda.progress.agenda_id = id;
  agenda.progress.state_message = "pending";
  agenda.progress.maximum_attempts = 3;
  agenda.progress.updated_time = now;
  agenda.progress.document = {{"agendaId", id},
                              {"processingState", "WAITING"},
                              {"processingStateMessage", "pending"},
                              {"attemptsCompleted", 0},
                              {"maximumAttempts", 3},
                              {"operationProgress", Json::array()}};
  agenda.idempotency_key = "submit-" + id;
  return agenda;
}

double percentile(std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  const auto index = static_cast<std::size_t>(fraction * static_cast<double>(sorted.size() - 1));
  return sorted[index];
}

int run(int threads, double seconds, const std::filesystem::path& parent) {
  auto directory = pop::TempDir::create("pop-store-bench-", parent);
  if (!directory) {
    std::fprintf(stderr, "%s\n", directory.error().message.c_str());
    return 1;
  }
  pop::store::sqlite::SqliteStoreOptions options;
  options.data_directory = directory->path();
  auto store = pop::store::sqlite::SqliteStore::open(options);
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().message.c_str());
    return 1;
  }
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(threads));
  std::vector<std::thread> workers;
  const auto before = (*store)->write_statistics();
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      auto& mine = latencies[static_cast<std::size_t>(t)];
      for (int i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        // Built outside the timed region: the server will have parsed it already.
        const NewAgenda agenda = new_agenda(std::to_string(t) + "-" + std::to_string(i), t % 10);
        const auto begin = Clock::now();
        if (!(*store)->insert_agenda(agenda)) ++failures;
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (std::thread& worker : workers) worker.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const auto after = (*store)->write_statistics();

  std::vector<double> all;
  for (const auto& mine : latencies) all.insert(all.end(), mine.begin(), mine.end());
  std::sort(all.begin(), all.end());
  const double inserts = static_cast<double>(all.size());
  const double commits = static_cast<double>(after.commits - before.commits);
  std::printf("%8d %12.0f %10.2f %10.2f %10.2f %11.0f %10.1f %9d\n", threads, inserts / elapsed,
              percentile(all, 0.50), percentile(all, 0.99), all.empty() ? 0.0 : all.back(),
              commits / elapsed, commits > 0 ? inserts / commits : 0.0, failures.load());
  return failures.load() == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  std::filesystem::path parent;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--dir") == 0) parent = argv[i + 1];
  }
  std::printf(
      "durable agenda inserts (agenda ~%zu B + progress), SQLite WAL synchronous=FULL, "
      "%.0f s per row\n",
      agenda_document("0-0").dump().size(), seconds);
  std::printf("%8s %12s %10s %10s %10s %11s %10s %9s\n", "threads", "inserts/s", "p50 ms", "p99 ms",
              "max ms", "commits/s", "per commit", "failures");
  int status = 0;
  for (int threads : {1, 8, 64}) status |= run(threads, seconds, parent);
  return status;
}
