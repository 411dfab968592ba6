#include "store/sqlite/write_batcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "store/conformance/store_fixture.h"
#include "util/temp_dir.h"

namespace pop::store::sqlite {
namespace {

using conformance::fails_with;
using conformance::ok;

class WriteBatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Connection db = Connection::open(directory_.path() / "batch.db", Connection::Mode::kWriter,
                                     std::chrono::milliseconds(1000))
                        .value();
    ASSERT_TRUE(ok(
        db.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
                   "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
                   "CREATE TABLE t (x INTEGER UNIQUE,"
                   " parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);")));
    batcher_ = std::make_unique<WriteBatcher>(std::move(db), 512);
    // A second connection to look at what was committed.
    observer_ = std::make_unique<Connection>(Connection::open(directory_.path() / "batch.db",
                                                              Connection::Mode::kReader,
                                                              std::chrono::milliseconds(1000))
                                                 .value());
  }

  static WriteBatcher::Work insert(int x, int parent = 0) {
    return [x, parent](Connection& db) -> Result<void> {
      auto statement = db.prepare("INSERT INTO t (x, parent) VALUES (?1, ?2)");
      if (!statement) return fail(statement.error());
      (*statement)->bind(1, std::int64_t{x});
      if (parent == 0) {
        (*statement)->bind_null(2);
      } else {
        (*statement)->bind(2, std::int64_t{parent});
      }
      return (*statement)->run();
    };
  }

  std::string committed() {
    return observer_
        ->query_text(
            "SELECT coalesce(group_concat(x), '') FROM (SELECT x FROM t "
            "ORDER BY x)")
        .value();
  }

  // Holds the writer thread inside one unit until `release` is set, so that everything
  // submitted meanwhile queues up and forms the next batch.
  std::thread hold_writer(std::atomic<bool>& release) {
    std::atomic<bool> holding{false};
    std::thread holder([this, &release, &holding] {
      auto done = batcher_->run([&](Connection&) -> Result<void> {
        holding = true;
        while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return {};
      });
      EXPECT_TRUE(ok(done));
    });
    while (!holding.load()) std::this_thread::yield();
    return holder;
  }

  // Runs each work on its own thread, all queued behind a held writer, so they share one
  // batch; returns their results in order.
  std::vector<Result<void>> run_in_one_batch(const std::vector<WriteBatcher::Work>& works) {
    std::atomic<bool> release{false};
    std::thread holder = hold_writer(release);
    std::vector<Result<void>> results(works.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < works.size(); ++i) {
      threads.emplace_back([&, i] { results[i] = batcher_->run(works[i]); });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let them all queue
    release = true;
    holder.join();
    for (std::thread& thread : threads) thread.join();
    return results;
  }

  TempDir directory_ = TempDir::create("pop-batcher-test-").value();
  std::unique_ptr<WriteBatcher> batcher_;
  std::unique_ptr<Connection> observer_;
};

TEST_F(WriteBatcherTest, RunsAndCommitsOneUnit) {
  ASSERT_TRUE(ok(batcher_->run(insert(1))));
  EXPECT_EQ(committed(), "1");
  const auto statistics = batcher_->statistics();
  EXPECT_EQ(statistics.commits, 1u);
  EXPECT_EQ(statistics.operations, 1u);
}

TEST_F(WriteBatcherTest, EverythingQueuedWhileTheWriterIsBusySharesOneCommit) {
  std::vector<WriteBatcher::Work> works;
  for (int i = 1; i <= 64; ++i) works.push_back(insert(i));
  for (const Result<void>& result : run_in_one_batch(works)) EXPECT_TRUE(ok(result));
  const auto statistics = batcher_->statistics();
  EXPECT_EQ(statistics.operations, 65u);
  EXPECT_EQ(statistics.commits, 2u);  // the holder's, then all 64 together
  EXPECT_EQ(statistics.largest_batch, 64u);
  EXPECT_EQ(observer_->query_text("SELECT count(*) FROM t").value(), "64");
}

TEST_F(WriteBatcherTest, FailingUnitRollsBackAloneInItsBatch) {
  auto half_done = [](Connection& db) -> Result<void> {
    if (auto done = insert(3)(db); !done) return done;  // undone with the unit
    return fail(ErrorCode::kConflict, "changed my mind");
  };
  auto results = run_in_one_batch({insert(1), half_done, insert(2), insert(1)});
  EXPECT_TRUE(fails_with(results[1], ErrorCode::kConflict));
  EXPECT_TRUE(ok(results[2]));
  // Both inserting 1: whichever ran second broke the UNIQUE constraint, alone.
  EXPECT_NE(results[0].has_value(), results[3].has_value());
  EXPECT_EQ(committed(), "1,2");
  EXPECT_EQ(batcher_->statistics().commits, 2u);
}

TEST_F(WriteBatcherTest, ExceptionInAUnitBecomesAnInternalError) {
  auto throws = [](Connection& db) -> Result<void> {
    (void)insert(7)(db);
    throw std::runtime_error("boom");
  };
  auto results = run_in_one_batch({insert(1), throws, insert(2)});
  EXPECT_TRUE(ok(results[0]));
  EXPECT_TRUE(fails_with(results[1], ErrorCode::kInternal));
  EXPECT_TRUE(ok(results[2]));
  EXPECT_EQ(committed(), "1,2");
}

TEST_F(WriteBatcherTest, FailedCommitFailsEveryUnitOfTheBatch) {
  // A deferred foreign key is only checked at COMMIT: one bad unit makes the commit fail,
  // and then nothing of the batch may be reported as done.
  auto results = run_in_one_batch({insert(1), insert(2, /*parent=*/99), insert(3)});
  for (const Result<void>& result : results) EXPECT_TRUE(fails_with(result, ErrorCode::kConflict));
  EXPECT_EQ(committed(), "");
  // The writer recovers: the next batch commits.
  ASSERT_TRUE(ok(batcher_->run(insert(4))));
  EXPECT_EQ(committed(), "4");
}

TEST_F(WriteBatcherTest, TransactionLostMidBatchFailsTheUnitsItHeld) {
  // After some I/O errors SQLite rolls the whole transaction back by itself. The units that
  // ran before in that transaction are lost with it and must fail; the ones after run in a
  // fresh transaction. The writer thread records the order it ran them in.
  std::vector<int> order;
  auto numbered = [&order](int x) -> WriteBatcher::Work {
    return [&order, x](Connection& db) {
      order.push_back(x);
      return insert(x)(db);
    };
  };
  auto loses_transaction = [&order](Connection& db) -> Result<void> {
    order.push_back(0);
    (void)insert(100)(db);
    (void)db.execute("ROLLBACK");
    return fail(ErrorCode::kUnavailable, "disk I/O error");
  };
  auto results =
      run_in_one_batch({numbered(1), numbered(2), loses_transaction, numbered(3), numbered(4)});
  const std::vector<int> result_of = {1, 2, 0, 3, 4};  // results[i] belongs to unit result_of[i]
  ASSERT_EQ(order.size(), 5u);
  bool before_loss = true;
  std::vector<std::string> kept;
  for (int unit : order) {
    const auto index = static_cast<std::size_t>(
        std::find(result_of.begin(), result_of.end(), unit) - result_of.begin());
    if (unit == 0) {
      EXPECT_TRUE(fails_with(results[index], ErrorCode::kUnavailable));
      before_loss = false;
    } else if (before_loss) {
      EXPECT_TRUE(fails_with(results[index], ErrorCode::kUnavailable)) << unit;
    } else {
      EXPECT_TRUE(ok(results[index])) << unit;
      kept.push_back(std::to_string(unit));
    }
  }
  std::sort(kept.begin(), kept.end());
  std::string expected;
  for (const std::string& unit : kept) expected += (expected.empty() ? "" : ",") + unit;
  EXPECT_EQ(committed(), expected);
}

}  // namespace
}  // namespace pop::store::sqlite
