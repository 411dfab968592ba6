// Conformance: leases and fenced progress updates.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "store/conformance/store_fixture.h"

namespace pop::store::conformance {

template <typename Harness>
class LeaseConformance : public StoreTest<Harness> {
 protected:
  void SetUp() override {
    StoreTest<Harness>::SetUp();
    insert(this->store(), new_agenda("job"));
  }

  LeaseAcquisition acquisition(std::string holder, std::uint64_t expected, std::int64_t now,
                               std::int64_t expires) {
    return {"job", std::move(holder), expected, at(now), at(expires), std::nullopt};
  }

  ProgressRecord stored_progress() {
    auto progress = this->store().get_progress("job");
    EXPECT_TRUE(ok(progress));
    return progress.value_or(ProgressRecord{});
  }
};
TYPED_TEST_SUITE_P(LeaseConformance);

TYPED_TEST_P(LeaseConformance, NeverLeasedAgendaHasEpochZeroAndNoHolder) {
  auto lease = this->store().get_lease("job");
  ASSERT_TRUE(ok(lease));
  EXPECT_EQ(lease->agenda_id, "job");
  EXPECT_EQ(lease->epoch, 0u);
  EXPECT_TRUE(lease->holder.empty());
  EXPECT_FALSE(lease->expires_at.has_value());
}

TYPED_TEST_P(LeaseConformance, AcquireReturnsTheNextEpochAndRecordsTheHolder) {
  auto epoch = this->store().acquire_lease(this->acquisition("puller-a", 0, 0, 30'000));
  ASSERT_TRUE(ok(epoch));
  EXPECT_EQ(*epoch, 1u);
  auto lease = this->store().get_lease("job");
  ASSERT_TRUE(ok(lease));
  EXPECT_EQ(lease->epoch, 1u);
  EXPECT_EQ(lease->holder, "puller-a");
  EXPECT_EQ(lease->expires_at, at(30'000));
}

TYPED_TEST_P(LeaseConformance, AcquireIsCompareAndSetOnTheEpoch) {
  ASSERT_TRUE(ok(this->store().acquire_lease(this->acquisition("a", 0, 0, 100))));
  ASSERT_TRUE(ok(this->store().release_lease("job", 1, std::nullopt)));
  // Free again, but the caller's view of the epoch is stale.
  EXPECT_TRUE(fails_with(this->store().acquire_lease(this->acquisition("b", 0, 200, 300)),
                         ErrorCode::kConflict));
  EXPECT_TRUE(fails_with(this->store().acquire_lease(this->acquisition("b", 5, 200, 300)),
                         ErrorCode::kConflict));
  auto epoch = this->store().acquire_lease(this->acquisition("b", 1, 200, 300));
  ASSERT_TRUE(ok(epoch));
  EXPECT_EQ(*epoch, 2u);
}

TYPED_TEST_P(LeaseConformance, HeldLeaseCanOnlyBeTakenOverOnceExpired) {
  ASSERT_TRUE(ok(this->store().acquire_lease(this->acquisition("a", 0, 0, 1000))));
  EXPECT_TRUE(fails_with(this->store().acquire_lease(this->acquisition("b", 1, 999, 2000)),
                         ErrorCode::kConflict));
  auto lease = this->store().get_lease("job");
  ASSERT_TRUE(ok(lease));
  EXPECT_EQ(lease->holder, "a");
  // Expiring exactly at `now` counts as expired.
  auto epoch = this->store().acquire_lease(this->acquisition("b", 1, 1000, 2000));
  ASSERT_TRUE(ok(epoch));
  EXPECT_EQ(*epoch, 2u);
  lease = this->store().get_lease("job");
  ASSERT_TRUE(ok(lease));
  EXPECT_EQ(lease->holder, "b");
}

TYPED_TEST_P(LeaseConformance, AcquireWritesProgressInTheSameTransaction) {
  LeaseAcquisition request = this->acquisition("a", 0, 0, 1000);
  request.progress = progress_of("job", ProcessingState::kExecuting, "queued", 0, at(1));
  ASSERT_TRUE(ok(this->store().acquire_lease(request)));
  EXPECT_EQ(this->stored_progress().state_message, "queued");

  // A refused acquire writes nothing.
  LeaseAcquisition refused = this->acquisition("b", 0, 0, 1000);
  refused.progress = progress_of("job", ProcessingState::kComplete, "failed", 1, at(2));
  EXPECT_TRUE(fails_with(this->store().acquire_lease(refused), ErrorCode::kConflict));
  EXPECT_EQ(this->stored_progress().state_message, "queued");
  EXPECT_EQ(this->stored_progress().updated_time, at(1));
}

TYPED_TEST_P(LeaseConformance, FencedUpdateAppliesWithTheCurrentEpoch) {
  auto epoch = this->store().acquire_lease(this->acquisition("a", 0, 0, 1000));
  ASSERT_TRUE(ok(epoch));
  ProgressRecord running = progress_of("job", ProcessingState::kExecuting, "running", 0, at(5));
  ASSERT_TRUE(ok(this->store().update_progress(running, *epoch)));
  EXPECT_EQ(this->stored_progress().document, running.document);
  // A fenced update needs a lease at all.
  insert(this->store(), new_agenda("unleased"));
  EXPECT_TRUE(
      fails_with(this->store().update_progress(progress_of("unleased"), 0), ErrorCode::kConflict));
  EXPECT_TRUE(
      fails_with(this->store().update_progress(progress_of("missing"), 1), ErrorCode::kNotFound));
}

TYPED_TEST_P(LeaseConformance, OldEpochUpdateAfterReacquireIsConflictAndChangesNothing) {
  auto old_epoch = this->store().acquire_lease(this->acquisition("lost", 0, 0, 1000));
  ASSERT_TRUE(ok(old_epoch));
  // The first holder goes silent; after expiry another puller takes the agenda over.
  auto new_epoch = this->store().acquire_lease(this->acquisition("new", *old_epoch, 5000, 9000));
  ASSERT_TRUE(ok(new_epoch));
  EXPECT_GT(*new_epoch, *old_epoch);
  ProgressRecord current = progress_of("job", ProcessingState::kExecuting, "running", 1, at(5001));
  ASSERT_TRUE(ok(this->store().update_progress(current, *new_epoch)));

  // The lost holder wakes up and reports: fenced out, nothing changes.
  ProgressRecord stale = progress_of("job", ProcessingState::kComplete, "failed", 9, at(6000));
  EXPECT_TRUE(fails_with(this->store().update_progress(stale, *old_epoch), ErrorCode::kConflict));
  EXPECT_TRUE(fails_with(this->store().renew_lease("job", *old_epoch, at(99'000), std::nullopt),
                         ErrorCode::kConflict));
  EXPECT_TRUE(
      fails_with(this->store().release_lease("job", *old_epoch, stale), ErrorCode::kConflict));
  const ProgressRecord after = this->stored_progress();
  EXPECT_EQ(after.document, current.document);
  EXPECT_EQ(after.attempts_completed, 1);
  EXPECT_EQ(after.updated_time, at(5001));
  auto lease = this->store().get_lease("job");
  ASSERT_TRUE(ok(lease));
  EXPECT_EQ(lease->holder, "new");
  EXPECT_EQ(lease->epoch, *new_epoch);
  EXPECT_EQ(lease->expires_at, at(9000));
}

TYPED_TEST_P(LeaseConformance, RenewMovesExpiryOnlyWithTheCurrentEpoch) {
  ASSERT_TRUE(ok(this->store().acquire_lease(this->acquisition("a", 0, 0, 1000))));
  ASSERT_TRUE(ok(this->store().renew_lease("job", 1, at(5000), std::nullopt)));
  auto lease = this->store().get_lease("job");
  ASSERT_TRUE(ok(lease));
  EXPECT_EQ(lease->expires_at, at(5000));
  EXPECT_EQ(lease->epoch, 1u);  // renewing is not a new generation
  EXPECT_TRUE(fails_with(this->store().renew_lease("job", 2, at(6000), std::nullopt),
                         ErrorCode::kConflict));
  ASSERT_TRUE(ok(this->store().release_lease("job", 1, std::nullopt)));
  EXPECT_TRUE(fails_with(this->store().renew_lease("job", 1, at(6000), std::nullopt),
                         ErrorCode::kConflict));
  EXPECT_TRUE(fails_with(this->store().renew_lease("missing", 1, at(6000), std::nullopt),
                         ErrorCode::kNotFound));
}

// A holder's report: the expiry and the progress in one write, or neither.
TYPED_TEST_P(LeaseConformance, RenewWithProgressWritesBothOrNeither) {
  ASSERT_TRUE(ok(this->store().acquire_lease(this->acquisition("a", 0, 0, 1000))));
  ProgressRecord running = progress_of("job", ProcessingState::kExecuting, "running", 0, at(7));
  ASSERT_TRUE(ok(this->store().renew_lease("job", 1, at(5000), running)));
  EXPECT_EQ(this->stored_progress().document, running.document);
  EXPECT_EQ(this->stored_progress().updated_time, at(7));
  EXPECT_EQ(this->store().get_lease("job")->expires_at, at(5000));

  ProgressRecord stale = progress_of("job", ProcessingState::kExecuting, "stale", 0, at(8));
  EXPECT_TRUE(
      fails_with(this->store().renew_lease("job", 2, at(9000), stale), ErrorCode::kConflict));
  EXPECT_EQ(this->stored_progress().state_message, "running");
  EXPECT_EQ(this->store().get_lease("job")->expires_at, at(5000));
}

TYPED_TEST_P(LeaseConformance, ReleaseEndsTheLeaseAndFencesTheHolder) {
  ASSERT_TRUE(ok(this->store().acquire_lease(this->acquisition("a", 0, 0, 1000))));
  ProgressRecord done = progress_of("job", ProcessingState::kComplete, "succeeded", 1, at(10));
  EXPECT_TRUE(fails_with(this->store().release_lease("job", 7, done), ErrorCode::kConflict));
  EXPECT_EQ(this->stored_progress().state_message, "pending");

  ASSERT_TRUE(ok(this->store().release_lease("job", 1, done)));
  EXPECT_EQ(this->stored_progress().document, done.document);
  auto lease = this->store().get_lease("job");
  ASSERT_TRUE(ok(lease));
  EXPECT_EQ(lease->epoch, 1u);
  EXPECT_TRUE(lease->holder.empty());
  EXPECT_FALSE(lease->expires_at.has_value());
  EXPECT_TRUE(
      fails_with(this->store().update_progress(progress_of("job"), 1), ErrorCode::kConflict));
  EXPECT_TRUE(
      fails_with(this->store().release_lease("job", 1, std::nullopt), ErrorCode::kConflict));
  EXPECT_TRUE(
      fails_with(this->store().release_lease("missing", 1, std::nullopt), ErrorCode::kNotFound));
}

TYPED_TEST_P(LeaseConformance, ListExpiredLeasesAtNow) {
  for (const char* id : {"j1", "j2", "j3", "j4"}) insert(this->store(), new_agenda(id));
  ASSERT_TRUE(ok(this->store().acquire_lease({"j1", "p1", 0, at(0), at(300), std::nullopt})));
  ASSERT_TRUE(ok(this->store().acquire_lease({"j2", "p2", 0, at(0), at(100), std::nullopt})));
  ASSERT_TRUE(ok(this->store().acquire_lease({"j3", "p3", 0, at(0), at(200), std::nullopt})));
  ASSERT_TRUE(ok(this->store().acquire_lease({"j4", "p4", 0, at(0), at(150), std::nullopt})));
  ASSERT_TRUE(ok(this->store().release_lease("j4", 1, std::nullopt)));

  auto ids = [&](std::int64_t now, std::size_t limit) {
    std::vector<std::string> result;
    auto expired = this->store().list_expired_leases(at(now), limit);
    EXPECT_TRUE(ok(expired));
    if (expired) {
      for (const LeaseRecord& lease : *expired) result.push_back(lease.agenda_id);
    }
    return result;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(99, 10), V{});
  EXPECT_EQ(ids(100, 10), V{"j2"});
  EXPECT_EQ(ids(250, 10), (V{"j2", "j3"}));
  EXPECT_EQ(ids(1000, 10), (V{"j2", "j3", "j1"}));
  EXPECT_EQ(ids(1000, 2), (V{"j2", "j3"}));

  auto expired = this->store().list_expired_leases(at(100), 10);
  ASSERT_TRUE(ok(expired));
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ(expired->front().holder, "p2");
  EXPECT_EQ(expired->front().epoch, 1u);
  EXPECT_EQ(expired->front().expires_at, at(100));
  // Listing does not change anything.
  EXPECT_EQ(ids(100, 10), V{"j2"});
}

TYPED_TEST_P(LeaseConformance, CountsTheLeasesHeld) {
  for (const char* id : {"j1", "j2", "j3"}) insert(this->store(), new_agenda(id));
  const auto held = [&] {
    auto counted = this->store().count_held_leases();
    EXPECT_TRUE(ok(counted));
    return counted ? *counted : -1;
  };
  EXPECT_EQ(held(), 0);
  ASSERT_TRUE(ok(this->store().acquire_lease({"j1", "p1", 0, at(0), at(300), std::nullopt})));
  ASSERT_TRUE(ok(this->store().acquire_lease({"j2", "p2", 0, at(0), at(100), std::nullopt})));
  EXPECT_EQ(held(), 2);
  ASSERT_TRUE(ok(this->store().release_lease("j1", 1, std::nullopt)));
  EXPECT_EQ(held(), 1);
  // Expired but not taken back: still held.
  EXPECT_EQ(held(), 1);
  ASSERT_TRUE(ok(this->store().reclaim_lease("j2", 1, at(200), std::nullopt)));
  EXPECT_EQ(held(), 0);
}

TYPED_TEST_P(LeaseConformance, ReclaimTakesBackAnExpiredLeaseAndRequeues) {
  ASSERT_TRUE(ok(this->store().acquire_lease(this->acquisition("a", 0, 0, 1000))));
  ProgressRecord requeued = progress_of("job", ProcessingState::kWaiting, "requeued", 1, at(2000));
  EXPECT_TRUE(
      fails_with(this->store().reclaim_lease("job", 1, at(999), requeued), ErrorCode::kConflict));
  EXPECT_TRUE(
      fails_with(this->store().reclaim_lease("job", 2, at(2000), requeued), ErrorCode::kConflict));
  EXPECT_EQ(this->stored_progress().state_message, "pending");

  ASSERT_TRUE(ok(this->store().reclaim_lease("job", 1, at(2000), requeued)));
  EXPECT_EQ(this->stored_progress().document, requeued.document);
  auto expired = this->store().list_expired_leases(at(5000), 10);
  ASSERT_TRUE(ok(expired));
  EXPECT_TRUE(expired->empty());
  // The old holder is fenced out; the agenda can be handed out again with the next epoch.
  EXPECT_TRUE(
      fails_with(this->store().update_progress(progress_of("job"), 1), ErrorCode::kConflict));
  EXPECT_TRUE(fails_with(this->store().reclaim_lease("job", 1, at(2000), std::nullopt),
                         ErrorCode::kConflict));
  auto epoch = this->store().acquire_lease(this->acquisition("b", 1, 2000, 3000));
  ASSERT_TRUE(ok(epoch));
  EXPECT_EQ(*epoch, 2u);
  EXPECT_TRUE(fails_with(this->store().reclaim_lease("missing", 1, at(0), std::nullopt),
                         ErrorCode::kNotFound));
}

TYPED_TEST_P(LeaseConformance, RenewedLeaseCannotBeReclaimed) {
  ASSERT_TRUE(ok(this->store().acquire_lease(this->acquisition("a", 0, 0, 1000))));
  auto expired = this->store().list_expired_leases(at(1500), 10);
  ASSERT_TRUE(ok(expired));
  ASSERT_EQ(expired->size(), 1u);
  // The holder renews between the reclaimer's listing and its reclaim.
  ASSERT_TRUE(ok(this->store().renew_lease("job", 1, at(4000), std::nullopt)));
  EXPECT_TRUE(fails_with(this->store().reclaim_lease("job", 1, at(1500), std::nullopt),
                         ErrorCode::kConflict));
  auto lease = this->store().get_lease("job");
  ASSERT_TRUE(ok(lease));
  EXPECT_EQ(lease->holder, "a");
}

TYPED_TEST_P(LeaseConformance, RacingAcquiresHaveExactlyOneWinner) {
  constexpr int kThreads = 8;
  std::atomic<int> winners{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto epoch =
          this->store().acquire_lease(this->acquisition("p" + std::to_string(i), 0, 0, 1000));
      if (epoch) {
        ++winners;
      } else if (epoch.error().code == ErrorCode::kConflict) {
        ++conflicts;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  auto lease = this->store().get_lease("job");
  ASSERT_TRUE(ok(lease));
  EXPECT_EQ(lease->epoch, 1u);
}

TYPED_TEST_P(LeaseConformance, RevokeEndsAHeldLeaseAndFencesItsHolder) {
  ASSERT_TRUE(ok(this->store().acquire_lease(this->acquisition("a", 0, 0, 1000))));
  ProgressRecord cancelled = progress_of("job", ProcessingState::kComplete, "cancelled", 0, at(5));
  EXPECT_TRUE(fails_with(this->store().revoke_lease("job", 0, cancelled), ErrorCode::kConflict));
  EXPECT_EQ(this->stored_progress().state_message, "pending");

  auto epoch = this->store().revoke_lease("job", 1, cancelled);
  ASSERT_TRUE(ok(epoch));
  EXPECT_EQ(*epoch, 2u);
  EXPECT_EQ(this->stored_progress().document, cancelled.document);
  auto lease = this->store().get_lease("job");
  ASSERT_TRUE(ok(lease));
  EXPECT_EQ(lease->epoch, 2u);
  EXPECT_TRUE(lease->holder.empty());
  EXPECT_TRUE(fails_with(this->store().renew_lease("job", 1, at(9000), std::nullopt),
                         ErrorCode::kConflict));
  EXPECT_TRUE(
      fails_with(this->store().update_progress(progress_of("job"), 1), ErrorCode::kConflict));
  EXPECT_TRUE(
      fails_with(this->store().release_lease("job", 1, std::nullopt), ErrorCode::kConflict));
  EXPECT_EQ(this->stored_progress().document, cancelled.document);
}

TYPED_TEST_P(LeaseConformance, RevokeFencesAnAcquireThatReadTheEpochBefore) {
  // A puller read epoch 0 and is about to acquire; the server revokes first.
  ProgressRecord held = progress_of("job", ProcessingState::kWaiting, "held", 0, at(5));
  ASSERT_TRUE(ok(this->store().revoke_lease("job", 0, held)));
  EXPECT_TRUE(fails_with(this->store().acquire_lease(this->acquisition("a", 0, 10, 1000)),
                         ErrorCode::kConflict));
  EXPECT_EQ(this->stored_progress().state_message, "held");
  EXPECT_TRUE(fails_with(this->store().revoke_lease("missing", 0, held), ErrorCode::kNotFound));
}

TYPED_TEST_P(LeaseConformance, AcquireManySucceedsOrFailsPerRequest) {
  insert(this->store(), new_agenda("second"));
  insert(this->store(), new_agenda("third"));
  ProgressRecord executing = progress_of("second", ProcessingState::kExecuting, "running");
  std::vector<LeaseAcquisition> requests = {
      this->acquisition("p", 0, 0, 1000),
      {"second", "p", 0, at(0), at(1000), executing},
      {"third", "p", 7, at(0), at(1000), std::nullopt},  // stale epoch
      {"missing", "p", 0, at(0), at(1000), std::nullopt},
  };
  auto results = this->store().acquire_leases(requests);
  ASSERT_EQ(results.size(), 4u);
  ASSERT_TRUE(ok(results[0]));
  EXPECT_EQ(*results[0], 1u);
  ASSERT_TRUE(ok(results[1]));
  EXPECT_EQ(*results[1], 1u);
  EXPECT_TRUE(fails_with(results[2], ErrorCode::kConflict));
  EXPECT_TRUE(fails_with(results[3], ErrorCode::kNotFound));
  auto second = this->store().get_progress("second");
  ASSERT_TRUE(ok(second));
  EXPECT_EQ(second->state_message, "running") << "the progress is written with its lease";
  auto third = this->store().get_lease("third");
  ASSERT_TRUE(ok(third));
  EXPECT_EQ(third->epoch, 0u) << "a failed request changed nothing";
  EXPECT_TRUE(this->store().acquire_leases({}).empty());
}

TYPED_TEST_P(LeaseConformance, UnknownAgendaIsNotFound) {
  EXPECT_TRUE(fails_with(this->store().get_lease("missing"), ErrorCode::kNotFound));
  EXPECT_TRUE(
      fails_with(this->store().acquire_lease({"missing", "p", 0, at(0), at(1), std::nullopt}),
                 ErrorCode::kNotFound));
}

REGISTER_TYPED_TEST_SUITE_P(
    LeaseConformance, NeverLeasedAgendaHasEpochZeroAndNoHolder,
    AcquireReturnsTheNextEpochAndRecordsTheHolder, AcquireIsCompareAndSetOnTheEpoch,
    HeldLeaseCanOnlyBeTakenOverOnceExpired, AcquireWritesProgressInTheSameTransaction,
    FencedUpdateAppliesWithTheCurrentEpoch, OldEpochUpdateAfterReacquireIsConflictAndChangesNothing,
    RenewMovesExpiryOnlyWithTheCurrentEpoch, RenewWithProgressWritesBothOrNeither,
    ReleaseEndsTheLeaseAndFencesTheHolder, ListExpiredLeasesAtNow, CountsTheLeasesHeld,
    ReclaimTakesBackAnExpiredLeaseAndRequeues, RenewedLeaseCannotBeReclaimed,
    RacingAcquiresHaveExactlyOneWinner, RevokeEndsAHeldLeaseAndFencesItsHolder,
    RevokeFencesAnAcquireThatReadTheEpochBefore, AcquireManySucceedsOrFailsPerRequest,
    UnknownAgendaIsNotFound);

}  // namespace pop::store::conformance
