// Conformance: many threads at once. The server calls the store from every request thread,
// so each guarantee of the single-threaded suites must hold under contention too.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/conformance/store_fixture.h"

namespace pop::store::conformance {

template <typename Harness>
class ConcurrencyConformance : public StoreTest<Harness> {
 protected:
  // Runs body(thread_index) on `threads` threads at once and waits for all of them.
  template <typename Body>
  static void in_parallel(int threads, Body body) {
    std::vector<std::thread> running;
    for (int i = 0; i < threads; ++i) running.emplace_back(body, i);
    for (std::thread& thread : running) thread.join();
  }
};
TYPED_TEST_SUITE_P(ConcurrencyConformance);

TYPED_TEST_P(ConcurrencyConformance, ConcurrentInsertsAllSucceedWithDistinctSequences) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 25;
  std::mutex mutex;
  std::map<std::int64_t, std::string> by_sequence;
  std::atomic<int> failures{0};
  this->in_parallel(kThreads, [&](int thread) {
    for (int i = 0; i < kPerThread; ++i) {
      const std::string id = "t" + std::to_string(thread) + "-" + std::to_string(i);
      auto inserted = this->store().insert_agenda(new_agenda(id, "c" + std::to_string(thread)));
      if (!inserted) {
        ++failures;
        continue;
      }
      std::lock_guard lock(mutex);
      by_sequence.emplace(inserted->sequence, id);
    }
  });
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(by_sequence.size(), std::size_t{kThreads * kPerThread});
  // Each thread's own inserts are ordered by sequence as it made them.
  std::map<std::string, int> last_index;
  for (const auto& [sequence, id] : by_sequence) {
    const auto dash = id.find('-');
    const std::string thread = id.substr(0, dash);
    const int index = std::stoi(id.substr(dash + 1));
    auto it = last_index.find(thread);
    if (it != last_index.end()) {
      EXPECT_GT(index, it->second) << id;
    }
    last_index[thread] = index;
  }
  auto waiting = this->store().list_waiting_agendas();
  ASSERT_TRUE(ok(waiting));
  EXPECT_EQ(waiting->size(), std::size_t{kThreads * kPerThread});
}

TYPED_TEST_P(ConcurrencyConformance, PaginationWhileInsertingHasNoDuplicatesOrGaps) {
  for (int i = 0; i < 40; ++i) insert(this->store(), new_agenda("before-" + std::to_string(i)));
  std::vector<std::string> seen;
  std::int64_t last_sequence = 0;
  bool ordered = true;
  std::string cursor;
  // Reads pages from `cursor` until the listing has nothing more, remembering what it saw.
  auto drain = [&] {
    while (true) {
      AgendaQuery query;
      query.cursor = cursor;
      query.limit = 7;
      auto page = this->store().list_agendas(query);
      ASSERT_TRUE(ok(page));
      for (const AgendaSummary& agenda : page->items) {
        ordered = ordered && agenda.sequence > last_sequence;
        last_sequence = agenda.sequence;
        seen.push_back(agenda.id);
      }
      cursor = page->next_cursor;
      if (!page->more) return;
    }
  };

  std::atomic<bool> stop{false};
  std::atomic<int> inserted_during{0};
  std::vector<std::thread> inserters;
  for (int t = 0; t < 4; ++t) {
    inserters.emplace_back([&, t] {
      for (int i = 0; i < 60 && !stop.load(); ++i) {
        const std::string id = "during-" + std::to_string(t) + "-" + std::to_string(i);
        if (this->store().insert_agenda(new_agenda(id))) ++inserted_during;
      }
    });
  }
  // Tail the listing while the inserters run...
  for (int pass = 0; pass < 1000 && inserted_during.load() < 120; ++pass) {
    drain();
    std::this_thread::yield();
  }
  stop = true;
  for (std::thread& thread : inserters) thread.join();
  drain();  // ...and pick up the rest once they are done.

  // Tailing while others inserted saw exactly what a quiet listing sees now.
  std::vector<std::string> everything;
  AgendaQuery query;
  query.limit = kMaxPageLimit;
  while (true) {
    auto page = this->store().list_agendas(query);
    ASSERT_TRUE(ok(page));
    for (const AgendaSummary& listed : page->items) everything.push_back(listed.id);
    if (!page->more) break;
    query.cursor = page->next_cursor;
  }
  EXPECT_TRUE(ordered);
  EXPECT_EQ(everything.size(), std::size_t{40} + std::size_t(inserted_during.load()));
  EXPECT_EQ(seen, everything);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size());
}

TYPED_TEST_P(ConcurrencyConformance, ConcurrentSubmitsWithOneIdempotencyKeyCreateOneAgenda) {
  constexpr int kThreads = 8;
  std::mutex mutex;
  std::vector<InsertedAgenda> results;
  this->in_parallel(kThreads, [&](int thread) {
    auto inserted =
        this->store().insert_agenda(new_agenda("try-" + std::to_string(thread), "acme", "same"));
    ASSERT_TRUE(ok(inserted));
    std::lock_guard lock(mutex);
    results.push_back(*inserted);
  });
  ASSERT_EQ(results.size(), std::size_t{kThreads});
  int created = 0;
  for (const InsertedAgenda& result : results) {
    created += result.replayed ? 0 : 1;
    EXPECT_EQ(result.agenda_id, results.front().agenda_id);
    EXPECT_EQ(result.sequence, results.front().sequence);
  }
  EXPECT_EQ(created, 1);
  auto listed = this->store().list_agendas({});
  ASSERT_TRUE(ok(listed));
  EXPECT_EQ(listed->items.size(), 1u);
}

TYPED_TEST_P(ConcurrencyConformance, FailingWritesDoNotDisturbConcurrentOnes) {
  // Half the inserts reuse an id that exists: they fail alone, every other write lands.
  insert(this->store(), new_agenda("taken"));
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20;
  std::atomic<int> conflicts{0};
  std::atomic<int> other_failures{0};
  this->in_parallel(kThreads, [&](int thread) {
    for (int i = 0; i < kPerThread; ++i) {
      const bool duplicate = (i + thread) % 2 == 0;
      const std::string id =
          duplicate ? "taken" : "ok-" + std::to_string(thread) + "-" + std::to_string(i);
      auto inserted = this->store().insert_agenda(new_agenda(id));
      if (inserted) continue;
      if (duplicate && inserted.error().code == ErrorCode::kConflict) {
        ++conflicts;
      } else {
        ++other_failures;
      }
    }
  });
  EXPECT_EQ(conflicts.load(), kThreads * kPerThread / 2);
  EXPECT_EQ(other_failures.load(), 0);
  for (int thread = 0; thread < kThreads; ++thread) {
    for (int i = 0; i < kPerThread; ++i) {
      if ((i + thread) % 2 == 0) continue;
      const std::string id = "ok-" + std::to_string(thread) + "-" + std::to_string(i);
      EXPECT_TRUE(ok(this->store().get_agenda(id))) << id;
    }
  }
  auto waiting = this->store().list_waiting_agendas();
  ASSERT_TRUE(ok(waiting));
  EXPECT_EQ(waiting->size(), std::size_t{1 + kThreads * kPerThread / 2});
}

TYPED_TEST_P(ConcurrencyConformance, ConcurrentVersionedUpdatesHaveOneWinnerPerVersion) {
  DocumentRecord record;
  record.kind = DocumentKind::kInsight;
  record.id = "shared";
  record.document = {{"writer", -1}};
  ASSERT_TRUE(ok(this->store().create_document(record)));
  constexpr int kThreads = 8;
  std::atomic<int> winners{0};
  std::atomic<int> conflicts{0};
  this->in_parallel(kThreads, [&](int thread) {
    DocumentRecord change = record;
    change.document = {{"writer", thread}};
    auto version = this->store().update_document(change, 1);
    if (version) {
      ++winners;
    } else if (version.error().code == ErrorCode::kConflict) {
      ++conflicts;
    }
  });
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  auto stored = this->store().get_document(DocumentKind::kInsight, "shared");
  ASSERT_TRUE(ok(stored));
  EXPECT_EQ(stored->version, 2);
}

TYPED_TEST_P(ConcurrencyConformance, AcknowledgedWritesAreVisibleToEveryReader) {
  // Whatever thread reads next, a write that returned success is there.
  constexpr int kThreads = 8;
  std::atomic<int> invisible{0};
  this->in_parallel(kThreads, [&](int thread) {
    for (int i = 0; i < 15; ++i) {
      const std::string id = "v-" + std::to_string(thread) + "-" + std::to_string(i);
      if (!this->store().insert_agenda(new_agenda(id))) continue;
      if (!this->store().get_agenda(id)) ++invisible;
      ProgressRecord running = progress_of(id, ProcessingState::kExecuting, "running", i);
      if (!this->store().update_progress(running, std::nullopt)) continue;
      auto progress = this->store().get_progress(id);
      if (!progress || progress->state_message != "running") ++invisible;
    }
  });
  EXPECT_EQ(invisible.load(), 0);
}

REGISTER_TYPED_TEST_SUITE_P(ConcurrencyConformance,
                            ConcurrentInsertsAllSucceedWithDistinctSequences,
                            PaginationWhileInsertingHasNoDuplicatesOrGaps,
                            ConcurrentSubmitsWithOneIdempotencyKeyCreateOneAgenda,
                            FailingWritesDoNotDisturbConcurrentOnes,
                            ConcurrentVersionedUpdatesHaveOneWinnerPerVersion,
                            AcknowledgedWritesAreVisibleToEveryReader);

}  // namespace pop::store::conformance
