// The PostgreSQL store: the shared conformance suite on a private PostgreSQL 15, then what only
// this implementation promises (several stores on one database, reconnecting, retries).
#include "store/postgres/postgres_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/conformance/store_conformance.h"
#include "testing/postgres_cluster.h"
#include "testing/subprocess.h"

namespace pop::store::postgres {

// Each test gets a private cluster, removed afterwards.
class PostgresHarness {
 public:
  Result<std::unique_ptr<Store>> open() {
    PostgresStoreOptions options;
    options.uri = cluster_.uri();
    auto store = PostgresStore::open(options);
    if (!store) return fail(std::move(store.error()));
    return std::unique_ptr<Store>(std::move(*store));
  }

 private:
  ::pop::testing::PostgresCluster cluster_;
};

}  // namespace pop::store::postgres

POP_INSTANTIATE_STORE_CONFORMANCE(Postgres, ::pop::store::postgres::PostgresHarness);

namespace pop::store::postgres {
namespace {

using conformance::at;
using conformance::fails_with;
using conformance::new_agenda;
using conformance::ok;

// Several stores on one database: what replicas of the server share.
class PostgresStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<PostgresStore> open(Warn warn = {}) {
    PostgresStoreOptions options;
    options.uri = cluster_.uri();
    options.warn = std::move(warn);
    auto store = PostgresStore::open(options);
    EXPECT_TRUE(ok(store));
    return store ? std::move(*store) : nullptr;
  }

  ::pop::testing::PostgresCluster cluster_;
};

TEST_F(PostgresStoreTest, StoresOnOneDatabaseShareOneIdempotencyKey) {
  auto first = open();
  auto second = open();
  ASSERT_TRUE(first && second);
  std::vector<std::thread> threads;
  std::vector<Result<InsertedAgenda>> results(16, fail(ErrorCode::kInternal, "not run"));
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      Store& store = i % 2 == 0 ? *first : *second;
      results[i] = store.insert_agenda(new_agenda("agenda-" + std::to_string(i), "acme", "key-1"));
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> ids;
  int created = 0;
  for (const auto& result : results) {
    ASSERT_TRUE(ok(result));
    ids.insert(result->agenda_id);
    if (!result->replayed) ++created;
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(cluster_.psql("SELECT count(*) FROM agendas").out, "1\n");
}

TEST_F(PostgresStoreTest, ATailingReaderSeesEveryAgendaOnceWhileTwoStoresInsert) {
  // Sequences must commit in order across stores: a listing that passed sequence n must
  // never find an agenda below n committing later, or a tailing reader would skip it.
  auto first = open();
  auto second = open();
  auto reader = open();
  ASSERT_TRUE(first && second && reader);
  constexpr int kPerThread = 60;
  constexpr int kThreads = 8;
  std::atomic<int> writers_left{kThreads};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      Store& store = t % 2 == 0 ? *first : *second;
      for (int i = 0; i < kPerThread; ++i)
        EXPECT_TRUE(ok(
            store.insert_agenda(new_agenda("a-" + std::to_string(t) + "-" + std::to_string(i)))));
      writers_left.fetch_sub(1);
    });
  }
  std::vector<std::int64_t> seen;
  AgendaQuery query;
  while (true) {
    const bool last_round = writers_left.load() == 0;
    auto page = reader->list_agendas(query);
    ASSERT_TRUE(ok(page));
    for (const auto& summary : page->items) seen.push_back(summary.sequence);
    query.cursor = page->next_cursor;
    if (last_round && !page->more) break;
  }
  for (auto& writer : writers) writer.join();
  EXPECT_EQ(seen.size(), std::size_t{kPerThread * kThreads});
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
}

TEST_F(PostgresStoreTest, RacingAcquiresThroughTwoStoresHaveOneWinner) {
  auto first = open();
  auto second = open();
  ASSERT_TRUE(first && second);
  for (int round = 0; round < 20; ++round) {
    const std::string id = "race-" + std::to_string(round);
    ASSERT_TRUE(ok(first->insert_agenda(new_agenda(id))));
    auto acquire = [&](Store& store, const std::string& holder) {
      return store.acquire_lease({id, holder, 0, at(0), at(60'000), std::nullopt});
    };
    Result<std::uint64_t> a;
    Result<std::uint64_t> b;
    std::thread ta([&] { a = acquire(*first, "puller-a"); });
    std::thread tb([&] { b = acquire(*second, "puller-b"); });
    ta.join();
    tb.join();
    EXPECT_NE(a.has_value(), b.has_value()) << "round " << round;
    EXPECT_TRUE(a.has_value() ? fails_with(b, ErrorCode::kConflict)
                              : fails_with(a, ErrorCode::kConflict));
  }
}

// The queue ownership of replicas (store/pool_claims.h): a claim is one replica's until it
// expires or is given up, each change of hands moves the fence, and a lease written with a
// fence that moved is refused.
TEST_F(PostgresStoreTest, ATakeoverMovesThePoolFenceAndTheFormerOwnerHandsOutNothing) {
  auto first = open();
  auto second = open();
  ASSERT_TRUE(first && second);
  PoolClaims& a = *first->pool_claims();
  PoolClaims& b = *second->pool_claims();
  const auto minute = std::chrono::minutes(1);
  auto claimed = a.claim("pool-1", "a", "http://a", 0, minute);
  ASSERT_TRUE(ok(claimed));
  const std::uint64_t fence = claimed->fence;
  EXPECT_TRUE(fails_with(b.claim("pool-1", "b", "http://b", 0, minute), ErrorCode::kConflict));
  auto renewed = a.claim("pool-1", "a", "http://a", fence, minute);
  ASSERT_TRUE(ok(renewed));
  EXPECT_EQ(renewed->fence, fence) << "a renewal keeps the fence";
  auto claims = b.list();
  ASSERT_TRUE(ok(claims));
  ASSERT_EQ(claims->size(), 1u);
  EXPECT_EQ((*claims)[0].owner, "a");
  EXPECT_EQ((*claims)[0].address, "http://a");
  EXPECT_TRUE((*claims)[0].live);
  auto live = a.heartbeat("a", "http://a", minute);
  ASSERT_TRUE(ok(live));
  EXPECT_EQ(*live, 1u);
  live = b.heartbeat("b", "http://b", minute);
  ASSERT_TRUE(ok(live));
  EXPECT_EQ(*live, 2u);

  // A's claim lapses (it stopped renewing: paused, partitioned) and B takes the pool over.
  ASSERT_TRUE(ok(a.claim("pool-1", "a", "http://a", fence, std::chrono::milliseconds(1))));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto taken = b.claim("pool-1", "b", "http://b", 0, minute);
  ASSERT_TRUE(ok(taken));
  EXPECT_GT(taken->fence, fence);
  ASSERT_TRUE(ok(first->insert_agenda(new_agenda("x"))));
  LeaseAcquisition stale{
      "x", "puller-a", 0, at(0), at(60'000), std::nullopt, PoolFence{"pool-1", "a", fence}};
  auto refused = first->acquire_lease(stale);
  ASSERT_TRUE(fails_with(refused, ErrorCode::kUnavailable));
  EXPECT_NE(refused.error().message.find("no longer owns"), std::string::npos)
      << refused.error().message;
  auto lease = first->get_lease("x");
  ASSERT_TRUE(ok(lease));
  EXPECT_EQ(lease->epoch, 0u) << "nothing was written";
  EXPECT_TRUE(fails_with(a.claim("pool-1", "a", "http://a", fence, minute), ErrorCode::kConflict));
  LeaseAcquisition current{
      "x", "puller-b", 0, at(0), at(60'000), std::nullopt, PoolFence{"pool-1", "b", taken->fence}};
  EXPECT_TRUE(ok(second->acquire_lease(current)));

  // Given up, the pool is anyone's at once, under a new fence.
  ASSERT_TRUE(ok(b.release("pool-1", "b", taken->fence)));
  claims = a.list();
  ASSERT_TRUE(ok(claims));
  EXPECT_FALSE((*claims)[0].live);
  auto again = a.claim("pool-1", "a", "http://a", 0, minute);
  ASSERT_TRUE(ok(again));
  EXPECT_GT(again->fence, taken->fence);
}

// The waiting notification names the agenda and its insight; PostgreSQL refuses a payload of
// 8000 bytes or more, which must cost the notification (the listeners' resync finds the
// agenda), never the write. 7999 bytes are sent.
TEST_F(PostgresStoreTest, ANotificationTooLongForPostgresIsLeftOutAndTheWriteStands) {
  auto store = open();
  ASSERT_TRUE(store);
  auto listener = ::pop::postgres::Connection::open(cluster_.uri());
  ASSERT_TRUE(listener.has_value()) << listener.error().message;
  ASSERT_TRUE(listener->execute("LISTEN pop_agenda_waiting"));
  const std::string insight = new_agenda("x").agenda.insight_id;
  // Payload "<id>\n<insight>": one byte under PostgreSQL's limit, and at it.
  const std::string fits(7999 - 1 - insight.size(), 'f');
  const std::string too_long(8000 - 1 - insight.size(), 't');
  for (const std::string& id : {fits, too_long}) {
    ASSERT_TRUE(ok(store->insert_agenda(new_agenda(id)))) << id.size();
    // Waiting again: the same notification from the progress write.
    ASSERT_TRUE(ok(store->update_progress(conformance::progress_of(id), std::nullopt)));
  }
  std::vector<std::string> heard;
  ASSERT_TRUE(pop::testing::eventually([&] {
    listener->consume_input();
    while (auto notification = listener->next_notification()) heard.push_back(notification->second);
    return heard.size() >= 2;
  }));
  EXPECT_EQ(heard, (std::vector<std::string>{fits + "\n" + insight, fits + "\n" + insight}));
}

TEST_F(PostgresStoreTest, ReadsAndWritesGoOnAfterPostgresRestarts) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(ok(store->insert_agenda(new_agenda("before"))));
  ASSERT_TRUE(ok(store->get_agenda("before")));
  cluster_.stop_immediately();
  EXPECT_TRUE(fails_with(store->insert_agenda(new_agenda("while-down")), ErrorCode::kUnavailable));
  EXPECT_TRUE(fails_with(store->get_agenda("before"), ErrorCode::kUnavailable));
  cluster_.start();
  EXPECT_TRUE(ok(store->get_agenda("before")));
  EXPECT_TRUE(ok(store->insert_agenda(new_agenda("after"))));
  EXPECT_TRUE(fails_with(store->get_agenda("while-down"), ErrorCode::kNotFound));
}

TEST_F(PostgresStoreTest, IdleConnectionsBrokenByARestartAreReplacedWithoutAnError) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(ok(store->insert_agenda(new_agenda("before"))));
  ASSERT_TRUE(ok(store->get_agenda("before")));
  cluster_.stop_immediately();
  cluster_.start();
  // Both the writer's connection and the reader's were cut while idle.
  EXPECT_TRUE(ok(store->get_agenda("before")));
  EXPECT_TRUE(ok(store->insert_agenda(new_agenda("after"))));
}

TEST_F(PostgresStoreTest, AnUnreadableRecordFailsItsOwnReadAndIsLeftOutOfListings) {
  std::vector<std::string> warnings;
  std::mutex mutex;
  auto store = open([&](const std::string& line) {
    std::lock_guard lock(mutex);
    warnings.push_back(line);
  });
  ASSERT_TRUE(store);
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(ok(store->insert_agenda(new_agenda(id))));
  ASSERT_EQ(cluster_
                .psql("UPDATE progress SET processing_state = 'bogus' WHERE agenda_sequence = "
                      "(SELECT sequence FROM agendas WHERE id = 'b');"
                      "UPDATE agendas SET document = '{not json' WHERE id = 'c'")
                .exit_status,
            0);
  EXPECT_TRUE(fails_with(store->get_progress("b"), ErrorCode::kInternal));
  EXPECT_TRUE(fails_with(store->get_agenda("c"), ErrorCode::kInternal));
  auto page = store->list_agendas({});
  ASSERT_TRUE(ok(page));
  std::vector<std::string> listed;
  for (const auto& summary : page->items) listed.push_back(summary.id);
  EXPECT_EQ(listed, (std::vector<std::string>{"a", "c"}));  // a listing reads no document
  std::lock_guard lock(mutex);
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_NE(warnings[0].find("agenda b"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("agenda c"), std::string::npos) << warnings[1];
}

TEST_F(PostgresStoreTest, ADatabaseOfANewerSchemaIsRefused) {
  ASSERT_TRUE(open());
  ASSERT_EQ(cluster_.psql("INSERT INTO schema_version VALUES (99, 'from the future')").exit_status,
            0);
  PostgresStoreOptions options;
  options.uri = cluster_.uri();
  auto store = PostgresStore::open(options);
  ASSERT_TRUE(fails_with(store, ErrorCode::kUnavailable));
  EXPECT_NE(store.error().message.find("99"), std::string::npos) << store.error().message;
}

}  // namespace
}  // namespace pop::store::postgres
