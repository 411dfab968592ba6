// Test support for the crash tests (kill -9 of a server or of a standalone puller while 200
// agendas run): the processes, the progress snapshots taken before each kill, and the checks
// of the promises. Header-only so it stays out of pop_core.
//
// "No succeeded operation is executed twice" is checked against what was observable: a
// snapshot reads every agenda's progress through the API and then the ledger's size; an
// operation SUCCEEDED in the snapshot must have no ledger start line at or beyond that size.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "auth/admin_token_file.h"
#include "e2e/crash_workload.h"
#include "e2e/ledger.h"
#include "e2e/submitter.h"
#include "http_client/client.h"
#include "http_client/url.h"
#include "testing/subprocess.h"
#include "util/random_id.h"
#include "util/result.h"
#include "util/temp_dir.h"

namespace pop::e2e {

using namespace std::chrono_literals;

// Sized by the environment so a failure can be replayed or a longer soak run:
// POP_CRASH_SEED (default: random, printed), POP_CRASH_AGENDAS (200 unless the test says
// otherwise), POP_CRASH_ROUNDS (5).
struct CrashConfig {
  std::uint64_t seed = 0;
  std::size_t agendas = 200;
  int rounds = 5;

  static CrashConfig from_environment(std::size_t agendas = 200) {
    auto number = [](const char* name, std::uint64_t fallback) {
      const char* text = std::getenv(name);
      return text != nullptr && *text != '\0' ? std::strtoull(text, nullptr, 10) : fallback;
    };
    CrashConfig config;
    config.seed = number("POP_CRASH_SEED", std::random_device{}());
    config.agendas = number("POP_CRASH_AGENDAS", agendas);
    config.rounds = static_cast<int>(number("POP_CRASH_ROUNDS", config.rounds));
    return config;
  }
};

// A `pop server` child and the URL it serves on.
struct ServerProcess {
  std::unique_ptr<pop::testing::Subprocess> process;
  std::string url;
};

// Starts `pop server --listen <listen> <arguments>` and waits until it prints the URL it
// listens on ("pop server: listening on http://127.0.0.1:PORT, data in ...").
inline Result<ServerProcess> start_server(const std::vector<std::string>& arguments,
                                          const std::filesystem::path& scratch,
                                          const std::string& listen = "127.0.0.1:0") {
  std::vector<std::string> argv = {POP_BINARY, "server", "--listen", listen};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  ServerProcess server;
  server.process = std::make_unique<pop::testing::Subprocess>(
      argv, std::map<std::string, std::string>{}, scratch.string());
  const std::string prefix = "listening on ";
  std::string out;
  if (!pop::testing::eventually(
          [&] {
            out = server.process->stdout_so_far();
            const auto start = out.find(prefix);
            const auto end = out.find(',', start);
            if (start == std::string::npos || end == std::string::npos) return false;
            server.url = out.substr(start + prefix.size(), end - start - prefix.size());
            return true;
          },
          30s)) {
    return fail(ErrorCode::kUnavailable, "pop server did not start: " + out);
  }
  return server;
}

inline Result<Json> fetch_progress(http_client::Client& client, const std::string& id) {
  auto response =
      client.request("GET", "/v1/agendas/" + http_client::percent_encode(id) + "/progress");
  if (!response) return fail(response.error());
  if (response->status != 200) {
    return fail(response->status == 404 ? ErrorCode::kNotFound : ErrorCode::kUnavailable,
                "GET progress of acknowledged agenda " + id + ": " +
                    std::to_string(response->status) + " " + response->body);
  }
  return Json::parse(response->body);
}

struct Snapshot {
  std::uintmax_t ledger_offset = 0;
  std::set<std::pair<std::string, std::string>> succeeded;  // (agenda id, operation)
  std::size_t agendas = 0, complete = 0, executing = 0;
  std::vector<std::string> lost;  // acknowledged, and yet unknown to the server
};

// The progress of every acknowledged agenda, then the ledger's size.
inline Result<Snapshot> take_snapshot(const ServerAddress& address,
                                      const std::map<std::string, std::string>& acknowledged,
                                      const std::filesystem::path& ledger) {
  auto client = address.client();
  if (!client) return fail(client.error());
  Snapshot snapshot;
  for (const auto& [key, id] : acknowledged) {
    auto progress = fetch_progress(*client, id);
    if (!progress && progress.error().code == ErrorCode::kNotFound) {
      snapshot.lost.push_back(id);
      continue;
    }
    if (!progress) return fail(progress.error());
    ++snapshot.agendas;
    const std::string state = progress->value("processingState", "");
    snapshot.complete += state == "COMPLETE";
    snapshot.executing += state == "EXECUTING";
    for (const auto& op : progress->value("operationProgress", Json::array()))
      if (op.value("processingStateMessage", "") == "succeeded")
        snapshot.succeeded.emplace(id, op.value("operation", ""));
  }
  snapshot.ledger_offset = ledger_size(ledger);
  return snapshot;
}

// Every ledger start line that a snapshot proves came after its operation had succeeded,
// each named with the first snapshot that proves it.
inline std::vector<std::string> reruns_after_success(const std::vector<Snapshot>& snapshots,
                                                     const std::vector<LedgerLine>& ledger) {
  std::vector<std::string> reruns;
  for (const auto& line : ledger) {
    if (!line.start) continue;
    for (std::size_t index = 0; index < snapshots.size(); ++index) {
      if (line.offset >= snapshots[index].ledger_offset &&
          snapshots[index].succeeded.contains({line.agenda_id, line.operation})) {
        reruns.push_back(line.agenda_id + " " + line.operation + " started again (attempt " +
                         std::to_string(line.attempt) + ", pid " + std::to_string(line.pid) +
                         ") after snapshot " + std::to_string(index) + " showed it succeeded");
        break;
      }
    }
  }
  return reruns;
}

// Processes of this test run's handlers that are still there (orphans of a killed server or
// puller run in their own process groups and survive it).
inline std::vector<pid_t> marked_processes(const std::string& marker) {
  const std::string needle = std::string(kMarkerVariable) + "=" + marker + '\0';
  std::vector<pid_t> found;
  std::error_code ignored;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ignored)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream environ_file(entry.path() / "environ", std::ios::binary);
    const std::string environment((std::istreambuf_iterator<char>(environ_file)),
                                  std::istreambuf_iterator<char>());
    if (environment.find(needle) != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

// SIGKILLs the process group of every process marked with `marker` and waits until none is
// left. Returns how many were found.
inline std::size_t kill_marked_processes(const std::string& marker) {
  const auto found = marked_processes(marker);
  for (pid_t pid : found) {
    const pid_t group = getpgid(pid);
    if (group > 0 && group != getpgrp()) kill(-group, SIGKILL);
  }
  EXPECT_TRUE(pop::testing::eventually([&] { return marked_processes(marker).empty(); }))
      << "handler processes survive SIGKILL";
  return found.size();
}

// Every agenda the server lists (GET /v1/agendas, page after page).
inline Result<std::vector<Json>> list_agendas(const ServerAddress& address) {
  auto client = address.client();
  if (!client) return fail(client.error());
  std::vector<Json> items;
  std::string cursor;
  for (;;) {
    auto response = client->request(
        "GET", "/v1/agendas?limit=1000" +
                   (cursor.empty() ? "" : "&cursor=" + http_client::percent_encode(cursor)));
    if (!response) return fail(response.error());
    if (response->status != 200)
      return fail(
          ErrorCode::kUnavailable,
          "GET /v1/agendas answered " + std::to_string(response->status) + " " + response->body);
    const Json page = Json::parse(response->body);
    for (const auto& item : page.value("items", Json::array())) items.push_back(item);
    cursor = page.value("nextCursor", "");
    if (cursor.empty()) return items;
  }
}

// The state shared by both crash tests: a scratch directory, the ledger handler, the planned
// agendas, the submitter and the snapshots.
class CrashTest : public ::testing::Test {
 protected:
  // `agendas` unless POP_CRASH_AGENDAS says otherwise.
  explicit CrashTest(std::size_t agendas = 200) : config_(CrashConfig::from_environment(agendas)) {}

  void SetUp() override {
    std::printf("crash test: seed %llu (replay with POP_CRASH_SEED), %zu agendas, %d kills\n",
                static_cast<unsigned long long>(config_.seed), config_.agendas, config_.rounds);
    auto dir = TempDir::create("pop-crash-test-");
    ASSERT_TRUE(dir.has_value()) << dir.error().message;
    dir_.emplace(std::move(*dir));
    ledger_ = dir_->path() / "ledger";
    registry_ = write_ledger_handler(dir_->path(), ledger_, marker_);
    plan_ = plan_agendas(config_.agendas, "crash-" + std::to_string(config_.seed) + "-", rng_);
  }

  void TearDown() override {
    submitter_.reset();
    if (HasFailure())
      std::printf("crash test: stderr of the stopped processes:\n%s", logs_.c_str());
    if (!dir_) return;
    // After the checks, so that a handler wrongly left running is seen by them first.
    std::printf("crash test: %zu orphaned handler processes were still running at the end\n",
                kill_marked_processes(marker_));
  }

  // kill -9, and reap; its stderr is printed if the test fails.
  void kill_hard(pop::testing::Subprocess& process, const std::string& name) {
    process.signal(SIGKILL);
    logs_ += "--- " + name + " (killed)\n" + process.wait().err;
    std::printf("crash test: %s killed, %zu processes of its handlers live on\n", name.c_str(),
                marked_processes(marker_).size());
  }

  // SIGTERM, which must end it cleanly.
  void stop(pop::testing::Subprocess& process, const std::string& name) {
    process.signal(SIGTERM);
    const auto result = process.wait();
    logs_ += "--- " + name + " (stopped)\n" + result.err;
    EXPECT_EQ(result.exit_status, 0) << name << " did not stop cleanly";
  }

  // The server's data directory.
  std::filesystem::path data() const { return dir_->path() / "data"; }
  // The admin token the first server wrote into data(); the same for every restart.
  std::string admin_token() const {
    return auth::read_admin_token_file(data() / auth::kAdminTokenFileName).value_or("");
  }

  // Starts the submitter against the server of the moment.
  void start_submitting() { submitter_.emplace(plan_, *address_, 15ms, rng_()); }

  // A random moment: between `low` and `high` from now.
  void sleep_random(std::chrono::milliseconds low, std::chrono::milliseconds high) {
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<long long>(low.count(), high.count())(rng_)));
  }

  void expect_none_lost(const Snapshot& snapshot) {
    for (const auto& id : snapshot.lost)
      ADD_FAILURE() << "acknowledged agenda " << id << " is lost: the server does not know it";
  }

  // Snapshot before a kill; a failure to take one fails the test.
  void snapshot(int round) {
    auto taken = take_snapshot(*address_, submitter_->acknowledged(), ledger_);
    ASSERT_TRUE(taken.has_value()) << taken.error().message;
    std::printf("crash test: kill %d: %zu agendas acknowledged, %zu complete, %zu executing\n",
                round, taken->agendas, taken->complete, taken->executing);
    expect_none_lost(*taken);
    snapshots_.push_back(std::move(*taken));
  }

  // Waits for every agenda to be acknowledged and COMPLETE (an unknown one fails the test:
  // it was lost), then takes the last snapshot.
  void wait_for_all_complete() {
    ASSERT_TRUE(pop::testing::eventually([&] { return submitter_->finished(); }, 60s))
        << submitter_->acknowledged().size() << " of " << plan_.size() << " acknowledged";
    ASSERT_FALSE(submitter_->failure().has_value()) << *submitter_->failure();
    const auto acknowledged = submitter_->acknowledged();
    auto client = address_->client();
    ASSERT_TRUE(client.has_value());
    std::set<std::string> open;
    for (const auto& [key, id] : acknowledged) open.insert(id);
    const auto started = std::chrono::steady_clock::now();
    pop::testing::eventually(
        [&] {
          for (auto it = open.begin(); it != open.end();) {
            auto progress = fetch_progress(*client, *it);
            if (!progress && progress.error().code == ErrorCode::kNotFound) {
              it = open.erase(it);  // lost: the last snapshot reports it
              continue;
            }
            EXPECT_TRUE(progress.has_value()) << progress.error().message;
            if (!progress) return true;
            if (progress->value("processingState", "") != "COMPLETE") return false;
            final_progress_[*it] = std::move(*progress);
            it = open.erase(it);
          }
          return true;
        },
        90s);
    std::printf(
        "crash test: all complete %.1f s after the last kill; submits resent %zu, "
        "replayed %zu\n",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
        submitter_->statistics().resent, submitter_->statistics().replayed);
    EXPECT_TRUE(open.empty()) << open.size() << " agendas never completed, e.g. " << *open.begin();
    auto last = take_snapshot(*address_, acknowledged, ledger_);
    ASSERT_TRUE(last.has_value()) << last.error().message;
    expect_none_lost(*last);
    snapshots_.push_back(std::move(*last));
    auto listed = list_agendas(*address_);
    ASSERT_TRUE(listed.has_value()) << listed.error().message;
    listed_ = std::move(*listed);
  }

  // The promises: none lost, none duplicated, every one succeeded with its outputs passed
  // along, every execution was for a submitted agenda, and no operation started again after
  // a snapshot saw it succeeded.
  void verify() {
    const auto acknowledged = submitter_->acknowledged();
    expect_one_agenda_per_key(acknowledged);
    std::vector<std::string> problems;
    for (const auto& agenda : plan_) {
      auto id = acknowledged.find(agenda.idempotency_key);
      if (id == acknowledged.end()) continue;
      auto progress = final_progress_.find(id->second);
      if (progress == final_progress_.end()) continue;  // reported as lost
      for (const auto& problem : outcome_problems(agenda, progress->second))
        problems.push_back("agenda " + id->second + ": " + problem);
    }
    expect_none(problems, "agendas did not succeed as planned");
    expect_ledger_consistent(acknowledged);
  }

  // The listing holds exactly one agenda per idempotency key, the acknowledged one (each
  // agenda's title is its key).
  void expect_one_agenda_per_key(const std::map<std::string, std::string>& acknowledged) {
    EXPECT_EQ(acknowledged.size(), plan_.size());
    std::set<std::string> ids;
    for (const auto& [key, id] : acknowledged) ids.insert(id);
    EXPECT_EQ(ids.size(), acknowledged.size()) << "two idempotency keys share an agenda";
    EXPECT_EQ(listed_.size(), acknowledged.size()) << "the server lists agendas nobody submitted";
    std::vector<std::string> strangers;
    for (const auto& item : listed_) {
      auto id = acknowledged.find(item.value("title", ""));
      if (id == acknowledged.end() || id->second != item.value("id", ""))
        strangers.push_back("listed agenda " + item.value("id", "") + " titled " +
                            item.value("title", "") + " is not the one acknowledged for its key");
    }
    expect_none(strangers, "listed agendas are duplicates or unknown");
  }

  // Every ledger line names an acknowledged agenda, every succeeded operation has a finished
  // execution, and none started after a snapshot showed it succeeded.
  void expect_ledger_consistent(const std::map<std::string, std::string>& acknowledged) {
    std::set<std::string> ids;
    for (const auto& [key, id] : acknowledged) ids.insert(id);
    const auto ledger = read_ledger(ledger_);
    std::vector<std::string> strangers;
    std::set<std::pair<std::string, std::string>> done;
    std::size_t starts = 0;
    for (const auto& line : ledger) {
      if (line.agenda_id.empty())
        strangers.push_back("unreadable ledger line: " + line.operation);
      else if (!ids.contains(line.agenda_id))
        strangers.push_back("a handler ran for agenda " + line.agenda_id + ", never acknowledged");
      starts += line.start;
      if (!line.start) done.emplace(line.agenda_id, line.operation);
    }
    expect_none(strangers, "ledger lines are not for acknowledged agendas");
    std::vector<std::string> unexecuted;
    std::size_t operations = 0;
    for (const auto& agenda : plan_) {
      operations += agenda.operations.size();
      auto id = acknowledged.find(agenda.idempotency_key);
      if (id == acknowledged.end() || !final_progress_.contains(id->second)) continue;
      for (const auto& operation : agenda.operations)
        if (!done.contains({id->second, operation}))
          unexecuted.push_back(id->second + " " + operation + " has no finished execution");
    }
    expect_none(unexecuted, "operations succeeded without a finished execution");
    expect_none(reruns_after_success(snapshots_, ledger), "succeeded operations were run again");
    std::printf("crash test: %zu operations, %zu executions started\n", operations, starts);
  }

  // One failure naming the count and the first few problems.
  static void expect_none(const std::vector<std::string>& problems, const std::string& what) {
    if (problems.empty()) return;
    std::string first;
    for (std::size_t index = 0; index < problems.size() && index < 10; ++index)
      first += "\n  " + problems[index];
    ADD_FAILURE() << problems.size() << " " << what << ":" << first;
  }

  const CrashConfig config_;
  std::mt19937_64 rng_{config_.seed};
  const std::string marker_ = random_uuid();
  std::optional<TempDir> dir_;
  std::filesystem::path ledger_, registry_;
  std::vector<PlannedAgenda> plan_;
  std::optional<ServerAddress> address_;
  std::optional<Submitter> submitter_;
  std::vector<Snapshot> snapshots_;
  std::map<std::string, Json> final_progress_;
  std::vector<Json> listed_;  // GET /v1/agendas once every agenda completed
  std::string logs_;
};

}  // namespace pop::e2e
