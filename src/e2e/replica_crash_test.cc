// kill -9 of random `pop server` replicas on one PostgreSQL (the pool's queue owner every
// other time) at random moments while 500 agendas are submitted, spread over the replicas
// and sent again to another replica with their idempotency keys when one dies; two
// standalone pullers, each asking a replica of its own, run them. Each killed replica is
// restarted on its port. Last, PostgreSQL itself is stopped as a crash stops it and started
// again. The same promises as a single server's crash test hold, and the time another
// replica takes to own the pool's queues after its owner is killed is printed.
#include <algorithm>

#include "e2e/crash_harness.h"
#include "testing/postgres_cluster.h"

namespace pop::e2e {
namespace {

class ReplicaCrashTest : public CrashTest {
 protected:
  ReplicaCrashTest() : CrashTest(500) {}

  static constexpr int kReplicas = 3;
  static constexpr const char* kTakeoverSeconds = "2";

  // Replica 0 keeps its data in data(), where the admin token of the empty database lands.
  std::filesystem::path replica_data(int index) const {
    return index == 0 ? data() : dir_->path() / ("replica-" + std::to_string(index));
  }

  Result<ServerProcess> start_replica(int index, const std::string& listen) const {
    return start_server({"--data", replica_data(index).string(), "--store", database_.uri(),
                         "--handlers", registry_.string(), "--lease-seconds", "3",
                         "--takeover-seconds", kTakeoverSeconds, "--no-embedded-puller"},
                        dir_->path(), listen);
  }

  std::unique_ptr<pop::testing::Subprocess> start_puller(const std::string& url) const {
    return std::make_unique<pop::testing::Subprocess>(
        std::vector<std::string>{POP_BINARY, "puller", "--server", url, "--pool", "default",
                                 "--capacity", "4", "--handlers", registry_.string(),
                                 "--report-seconds", "0.4", "--token", address_->token()},
        std::map<std::string, std::string>{{"TMPDIR", dir_->path().string()}},
        dir_->path().string());
  }

  // Where the replica that owns the default pool's queues serves, by the database; empty
  // while nobody does.
  std::string pool_owner() const {
    auto answer = database_.psql(
        "SELECT address FROM pool_claims WHERE pool_id = 'default' AND expires_ms > pop_now_ms()");
    std::string address = answer.out;
    while (!address.empty() && (address.back() == '\n' || address.back() == ' '))
      address.pop_back();
    return address;
  }

  static double percentile(std::vector<double> values, double fraction) {
    std::sort(values.begin(), values.end());
    return values[static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1))];
  }

  pop::testing::PostgresCluster database_;
};

TEST_F(ReplicaCrashTest, KilledReplicasLoseNothingDuplicatesNothingAndRerunsNoSucceededOperation) {
  std::vector<ServerProcess> replicas;
  std::vector<std::string> urls;
  for (int index = 0; index < kReplicas; ++index) {
    auto replica = start_replica(index, "127.0.0.1:0");
    ASSERT_TRUE(replica.has_value()) << replica.error().message;
    urls.push_back(replica->url);
    replicas.push_back(std::move(*replica));
  }
  address_.emplace(urls, admin_token());
  ASSERT_FALSE(address_->token().empty());
  auto first_puller = start_puller(urls[1]);
  auto second_puller = start_puller(urls[2]);
  start_submitting();
  std::vector<double> takeovers;  // seconds from killing the owner until another owns the pool
  for (int round = 1; round <= config_.rounds; ++round) {
    sleep_random(300ms, 1500ms);
    ASSERT_NO_FATAL_FAILURE(snapshot(round));
    // A renewal may be a moment late on a loaded machine: wait for the owner.
    std::string owner;
    ASSERT_TRUE(pop::testing::eventually([&] { return !(owner = pool_owner()).empty(); }))
        << "no replica owns the default pool";
    int victim = std::uniform_int_distribution<int>(0, kReplicas - 1)(rng_);
    if (round % 2 == 1) {
      const auto owning = std::find(urls.begin(), urls.end(), owner);
      ASSERT_NE(owning, urls.end()) << "the pool's owner is not a replica: " << owner;
      victim = static_cast<int>(owning - urls.begin());
    }
    const bool owner_killed = urls[victim] == owner;
    kill_hard(*replicas[victim].process, "replica " + std::to_string(victim) + " (round " +
                                             std::to_string(round) +
                                             (owner_killed ? ", the owner)" : ")"));
    const auto killed = std::chrono::steady_clock::now();
    if (owner_killed) {
      std::string next;
      ASSERT_TRUE(pop::testing::eventually(
          [&] {
            next = pool_owner();
            return !next.empty() && next != owner;
          },
          30s))
          << "no other replica took the pool's queues over";
      takeovers.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count());
      std::printf("crash test: %s took the pool over in %.2f s\n", next.c_str(), takeovers.back());
    }
    sleep_random(100ms, 800ms);
    const std::string port = urls[victim].substr(urls[victim].rfind(':') + 1);
    auto restarted = start_replica(victim, "127.0.0.1:" + port);
    ASSERT_TRUE(restarted.has_value()) << restarted.error().message;
    ASSERT_EQ(restarted->url, urls[victim]);
    replicas[victim] = std::move(*restarted);
  }
  // The database crashes too; the replicas reconnect by themselves.
  sleep_random(200ms, 800ms);
  database_.stop_immediately();
  std::this_thread::sleep_for(1s);
  database_.start();
  ASSERT_NO_FATAL_FAILURE(wait_for_all_complete());
  stop(*first_puller, "first puller");
  stop(*second_puller, "second puller");
  for (int index = 0; index < kReplicas; ++index)
    stop(*replicas[index].process, "replica " + std::to_string(index));
  verify();
  ASSERT_FALSE(takeovers.empty());
  std::printf(
      "crash test: takeover after killing the owner (--takeover-seconds %s): %zu times, "
      "p50 %.2f s, max %.2f s\n",
      kTakeoverSeconds, takeovers.size(), percentile(takeovers, 0.5), percentile(takeovers, 1.0));
  // The bound; the configured 2 s plus the polling above is well within it even on a
  // loaded machine.
  EXPECT_LE(percentile(takeovers, 1.0), 5.0) << "a takeover took longer than 5 s";
}

}  // namespace
}  // namespace pop::e2e
