// Conformance: attempt logs (Store::append_attempt_log and the reads beside it).
#pragma once

#include <cstdint>
#include <string>

#include "store/conformance/store_fixture.h"

namespace pop::store::conformance {

template <typename Harness>
class AttemptLogConformance : public StoreTest<Harness> {
 protected:
  void SetUp() override {
    StoreTest<Harness>::SetUp();
    insert(this->store(), new_agenda("job"));
    epoch_ = lease(0);
  }

  std::uint64_t lease(std::uint64_t expected) {
    auto epoch = this->store().acquire_lease({"job", "puller", expected, at(0), at(60'000), {}});
    EXPECT_TRUE(ok(epoch));
    return epoch.value_or(0);
  }

  // A chunk of `text`, all of it kept; the "compressed" bytes are the text itself, which the
  // store keeps as it is given.
  AttemptLogAppend chunk(std::uint64_t offset, const std::string& text, int attempt = 1) {
    return {"job",       "build", attempt,     epoch_, offset,
            text.size(), text,    text.size(), false,  at(static_cast<std::int64_t>(offset))};
  }

  std::string stored_text(int attempt = 1) {
    auto chunks = this->store().read_attempt_log("job", "build", attempt, 0, SIZE_MAX);
    EXPECT_TRUE(ok(chunks));
    std::string text;
    for (const auto& stored : chunks.value_or(std::vector<AttemptLogChunk>{}))
      text += stored.compressed;
    return text;
  }

  std::uint64_t epoch_ = 0;
};
TYPED_TEST_SUITE_P(AttemptLogConformance);

TYPED_TEST_P(AttemptLogConformance, ChunksAppendInOrderAndReadBackFromAnOffset) {
  auto first = this->store().append_attempt_log(this->chunk(0, "one\n"));
  ASSERT_TRUE(ok(first));
  EXPECT_EQ(first->length, 4u);
  auto second = this->store().append_attempt_log(this->chunk(4, "two\n"));
  ASSERT_TRUE(ok(second));
  EXPECT_EQ(second->length, 8u);
  EXPECT_EQ(second->kept_bytes, 8u);
  EXPECT_FALSE(second->ended);
  EXPECT_EQ(this->stored_text(), "one\ntwo\n");

  auto later = this->store().read_attempt_log("job", "build", 1, 4, 10);
  ASSERT_TRUE(ok(later));
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].offset, 4u);
  EXPECT_EQ((*later)[0].compressed, "two\n");
}

TYPED_TEST_P(AttemptLogConformance, ARetriedOrMisplacedChunkWritesNothingAndTellsTheLength) {
  ASSERT_TRUE(ok(this->store().append_attempt_log(this->chunk(0, "one\n"))));
  auto retried = this->store().append_attempt_log(this->chunk(0, "one\n"));
  ASSERT_TRUE(ok(retried));
  EXPECT_EQ(retried->length, 4u);
  auto gap = this->store().append_attempt_log(this->chunk(9, "far\n"));
  ASSERT_TRUE(ok(gap));
  EXPECT_EQ(gap->length, 4u);
  EXPECT_EQ(this->stored_text(), "one\n");
}

TYPED_TEST_P(AttemptLogConformance, BytesPastTheCapCountButAreNotStoredAndTheEndIsFinal) {
  AttemptLogAppend dropped = this->chunk(0, "");
  dropped.byte_count = 100;
  dropped.ended = true;
  auto state = this->store().append_attempt_log(dropped);
  ASSERT_TRUE(ok(state));
  EXPECT_EQ(state->length, 100u);
  EXPECT_EQ(state->kept_bytes, 0u);
  EXPECT_TRUE(state->ended);
  auto after_end = this->store().append_attempt_log(this->chunk(100, "late\n"));
  ASSERT_TRUE(ok(after_end));
  EXPECT_EQ(after_end->length, 100u);
  EXPECT_EQ(this->stored_text(), "");
}

TYPED_TEST_P(AttemptLogConformance, OnlyTheLeaseHolderWritesAndALaterLeaseReplacesTheAttempt) {
  ASSERT_TRUE(ok(this->store().append_attempt_log(this->chunk(0, "first lease\n"))));
  AttemptLogAppend stale = this->chunk(12, "stale\n");
  stale.epoch = this->epoch_ + 1;
  EXPECT_TRUE(fails_with(this->store().append_attempt_log(stale), ErrorCode::kConflict));

  ASSERT_TRUE(ok(this->store().release_lease("job", this->epoch_, std::nullopt)));
  EXPECT_TRUE(fails_with(this->store().append_attempt_log(this->chunk(12, "after release\n")),
                         ErrorCode::kConflict));
  this->epoch_ = this->lease(this->epoch_);
  auto replaced = this->store().append_attempt_log(this->chunk(0, "second lease\n"));
  ASSERT_TRUE(ok(replaced));
  EXPECT_EQ(replaced->epoch, this->epoch_);
  EXPECT_EQ(this->stored_text(), "second lease\n");

  AttemptLogAppend unknown = this->chunk(0, "x");
  unknown.agenda_id = "nope";
  EXPECT_TRUE(fails_with(this->store().append_attempt_log(unknown), ErrorCode::kNotFound));
}

TYPED_TEST_P(AttemptLogConformance, AttemptsAreListedAndGoWithTheAgendaOrByAge) {
  ASSERT_TRUE(ok(this->store().append_attempt_log(this->chunk(0, "a1\n", 1))));
  ASSERT_TRUE(ok(this->store().append_attempt_log(this->chunk(5000, "", 2))));
  AttemptLogAppend newer = this->chunk(0, "a2\n", 2);
  newer.now = at(5000);
  ASSERT_TRUE(ok(this->store().append_attempt_log(newer)));
  auto attempts = this->store().list_attempt_logs("job", "build");
  ASSERT_TRUE(ok(attempts));
  ASSERT_EQ(attempts->size(), 2u);
  EXPECT_EQ((*attempts)[0].attempt, 1);
  EXPECT_EQ((*attempts)[1].attempt, 2);
  EXPECT_EQ((*attempts)[1].updated_time, at(5000));

  auto deleted = this->store().delete_attempt_logs_before(at(1000), 10);
  ASSERT_TRUE(ok(deleted));
  EXPECT_EQ(*deleted, 1u);
  EXPECT_EQ(this->stored_text(1), "");
  EXPECT_EQ(this->stored_text(2), "a2\n");

  ASSERT_TRUE(ok(this->store().delete_agenda("job")));
  insert(this->store(), new_agenda("job"));
  attempts = this->store().list_attempt_logs("job", "build");
  ASSERT_TRUE(ok(attempts));
  EXPECT_TRUE(attempts->empty());
}

REGISTER_TYPED_TEST_SUITE_P(AttemptLogConformance, ChunksAppendInOrderAndReadBackFromAnOffset,
                            ARetriedOrMisplacedChunkWritesNothingAndTellsTheLength,
                            BytesPastTheCapCountButAreNotStoredAndTheEndIsFinal,
                            OnlyTheLeaseHolderWritesAndALaterLeaseReplacesTheAttempt,
                            AttemptsAreListedAndGoWithTheAgendaOrByAge);

}  // namespace pop::store::conformance
