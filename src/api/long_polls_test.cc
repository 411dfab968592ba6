#include "api/long_polls.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "testing/subprocess.h"
#include "util/clock.h"

namespace pop::api {
namespace {

using namespace std::chrono_literals;
using pop::testing::eventually;

// Work handed out per pool, and what each test poll was answered.
class LongPollsTest : public ::testing::Test {
 protected:
  struct Outcome {
    std::atomic<int> attempts{0};
    std::atomic<bool> got_work{false};
    std::atomic<int> empty_answers{0};
    bool answered() const { return got_work.load() || empty_answers.load() > 0; }
  };

  // A poll of `pool` that takes one unit of the pool's work when there is some.
  LongPolls::Poll poll(const std::string& pool, Outcome& outcome,
                       std::chrono::milliseconds wait = 60s, const std::string& caller = "p",
                       std::set<std::string> skip = {}) {
    return {pool,
            caller,
            std::move(skip),
            clock_.steady_now() + wait,
            [this, pool, &outcome] {
              ++outcome.attempts;
              std::lock_guard lock(mutex_);
              if (work_[pool] == 0) return false;
              --work_[pool];
              outcome.got_work = true;
              return true;
            },
            [&outcome] { ++outcome.empty_answers; }};
  }

  void add_work(const std::string& pool, int count = 1) {
    std::lock_guard lock(mutex_);
    work_[pool] += count;
  }

  // Outlives the test body's LongPolls, which may answer polls as it stops.
  Outcome& new_outcome() { return outcomes_.emplace_back(); }

  ManualClock clock_;  // the polls' deadlines pass only when a test advances it
  std::mutex mutex_;
  std::map<std::string, int> work_;
  std::deque<Outcome> outcomes_;
};

TEST_F(LongPollsTest, AWakeUpRetriesOnlyThePollsOfItsPool) {
  LongPolls polls({}, clock_);
  Outcome& a1 = new_outcome();
  Outcome& a2 = new_outcome();
  Outcome& b1 = new_outcome();
  EXPECT_NE(polls.start(poll("a", a1)), 0u);
  EXPECT_NE(polls.start(poll("a", a2)), 0u);
  EXPECT_NE(polls.start(poll("b", b1)), 0u);
  EXPECT_EQ(polls.waiting(), 3u);

  add_work("a");
  polls.wake("a", "insight");
  ASSERT_TRUE(eventually([&] { return a1.answered() && a2.attempts.load() == 2; }));
  EXPECT_TRUE(a1.got_work.load());  // the first to arrive is the first served
  EXPECT_FALSE(a2.answered());
  EXPECT_EQ(b1.attempts.load(), 1);  // its first attempt only
  EXPECT_EQ(polls.waiting(), 2u);
  polls.stop();
  EXPECT_EQ(a2.empty_answers.load(), 1);
  EXPECT_EQ(b1.empty_answers.load(), 1);
  EXPECT_EQ(a1.empty_answers.load(), 0);
}

TEST_F(LongPollsTest, APollWithWorkAtOnceNeverWaits) {
  LongPolls polls({}, clock_);
  add_work("a");
  Outcome& outcome = new_outcome();
  EXPECT_EQ(polls.start(poll("a", outcome)), 0u);
  EXPECT_TRUE(outcome.got_work.load());
  EXPECT_EQ(polls.waiting(), 0u);
}

TEST_F(LongPollsTest, AWakeUpForSkippedInsightsLeavesThePollAlone) {
  LongPolls polls({}, clock_);
  Outcome& skipping = new_outcome();
  Outcome& other = new_outcome();
  polls.start(poll("a", skipping, 60s, "p", {"limited"}));
  polls.start(poll("a", other));
  polls.wake("a", "limited");
  ASSERT_TRUE(eventually([&] { return other.attempts.load() == 2; }));
  // A pass re-tries polls in arrival order, so the skipping poll would have been re-tried
  // before the other one.
  EXPECT_EQ(skipping.attempts.load(), 1);
  polls.wake("a", "");  // any insight of the pool: everyone
  ASSERT_TRUE(
      eventually([&] { return skipping.attempts.load() == 2 && other.attempts.load() == 3; }));
}

TEST_F(LongPollsTest, ThePollsDeadlineAnswersItEmpty) {
  LongPolls polls({}, clock_);
  Outcome& outcome = new_outcome();
  Outcome& witness = new_outcome();
  ASSERT_NE(polls.start(poll("a", outcome, 50ms)), 0u);
  ASSERT_NE(polls.start(poll("a", witness, 60s)), 0u);
  ASSERT_TRUE(clock_.await_waiters(1));  // the timer, until 50 ms
  clock_.advance(49ms);
  ASSERT_TRUE(clock_.await_waiters(1));
  EXPECT_EQ(outcome.empty_answers.load(), 0);
  clock_.advance(1ms);
  ASSERT_TRUE(eventually([&] { return outcome.empty_answers.load() == 1; }));
  EXPECT_EQ(polls.waiting(), 1u);
  EXPECT_EQ(outcome.attempts.load(), 1);
  // Nothing more happens to it: the pass that re-tries the witness, which arrived after it,
  // passes it by.
  add_work("a");
  polls.wake("a", "");
  ASSERT_TRUE(eventually([&] { return witness.got_work.load(); }));
  EXPECT_EQ(outcome.attempts.load(), 1);
  EXPECT_EQ(outcome.empty_answers.load(), 1);
}

TEST_F(LongPollsTest, AZeroWaitIsAnsweredAtOnce) {
  LongPolls polls({}, clock_);
  Outcome& outcome = new_outcome();
  EXPECT_EQ(polls.start(poll("a", outcome, 0ms)), 0u);
  EXPECT_EQ(outcome.attempts.load(), 1);
  EXPECT_EQ(outcome.empty_answers.load(), 1);
}

TEST_F(LongPollsTest, ACancelledPollIsForgottenOrAnswered) {
  LongPolls polls({}, clock_);
  Outcome& gone = new_outcome();
  Outcome& stopping = new_outcome();
  const auto gone_id = polls.start(poll("a", gone));
  const auto stopping_id = polls.start(poll("a", stopping));
  polls.cancel(gone_id, false);
  polls.cancel(stopping_id, true);
  EXPECT_EQ(polls.waiting(), 0u);
  EXPECT_EQ(gone.empty_answers.load(), 0);
  EXPECT_EQ(stopping.empty_answers.load(), 1);
  // The witness arrives after them: once the pass re-tried it, the pass is over.
  Outcome& witness = new_outcome();
  ASSERT_NE(polls.start(poll("a", witness)), 0u);
  add_work("a");
  polls.wake("a", "");
  ASSERT_TRUE(eventually([&] { return witness.got_work.load(); }));
  EXPECT_EQ(gone.attempts.load(), 1);
  polls.cancel(gone_id, true);  // ended already: nothing
  EXPECT_EQ(gone.empty_answers.load(), 0);
}

TEST_F(LongPollsTest, PollsBeyondABoundAreAnsweredEmptyAfterOneAttempt) {
  LongPolls polls({.max_waiting = 3, .max_waiting_per_caller = 2, .workers = 1}, clock_);
  Outcome& first = new_outcome();
  Outcome& second = new_outcome();
  Outcome& third = new_outcome();
  Outcome& other = new_outcome();
  Outcome& full = new_outcome();
  Outcome& lucky = new_outcome();
  EXPECT_NE(polls.start(poll("a", first, 60s, "x")), 0u);
  EXPECT_NE(polls.start(poll("a", second, 60s, "x")), 0u);
  EXPECT_EQ(polls.start(poll("a", third, 60s, "x")), 0u);  // x's bound
  EXPECT_EQ(third.attempts.load(), 1);
  EXPECT_EQ(third.empty_answers.load(), 1);
  EXPECT_NE(polls.start(poll("a", other, 60s, "y")), 0u);
  EXPECT_EQ(polls.start(poll("a", full, 60s, "z")), 0u);  // the global bound
  EXPECT_EQ(full.empty_answers.load(), 1);
  // Over a bound, work is still taken.
  add_work("a");
  EXPECT_EQ(polls.start(poll("a", lucky, 60s, "x")), 0u);
  EXPECT_TRUE(lucky.got_work.load());
  EXPECT_EQ(polls.waiting(), 3u);
  // A place freed is a place to wait.
  polls.cancel(1, false);
  Outcome& later = new_outcome();
  EXPECT_NE(polls.start(poll("a", later, 60s, "x")), 0u);
}

TEST_F(LongPollsTest, StopAnswersEveryWaitingPollAndLaterOnesAtOnce) {
  LongPolls polls({}, clock_);
  for (int i = 0; i < 100; ++i) polls.start(poll(i % 2 ? "a" : "b", new_outcome()));
  polls.stop();
  for (const auto& answered : outcomes_) EXPECT_EQ(answered.empty_answers.load(), 1);
  Outcome& late = new_outcome();
  EXPECT_EQ(polls.start(poll("a", late)), 0u);
  EXPECT_EQ(late.attempts.load(), 1);
  EXPECT_EQ(late.empty_answers.load(), 1);
  polls.stop();  // idempotent
}

// Work that arrives while a poll's first attempt runs is not missed: the poll is re-tried
// once it waits.
TEST_F(LongPollsTest, AWakeUpDuringTheFirstAttemptIsNotMissed) {
  LongPolls polls({}, clock_);
  Outcome& outcome = new_outcome();
  LongPolls::Poll racing = poll("a", outcome);
  racing.attempt = [this, &polls, &outcome] {
    if (++outcome.attempts == 1) {
      // Work and its wake-up land just after this attempt looked.
      add_work("a");
      polls.wake("a", "late");
      return false;
    }
    std::lock_guard lock(mutex_);
    outcome.got_work = work_["a"]-- > 0;
    return outcome.got_work.load();
  };
  polls.start(std::move(racing));
  EXPECT_TRUE(eventually([&] { return outcome.got_work.load(); }));
}

// Thousands of polls, two workers: a wake-up serves the ones that came first.
TEST_F(LongPollsTest, ManyPollsAreServedByTheFixedThreads) {
  LongPolls polls({.max_waiting = 20000, .max_waiting_per_caller = 20000, .workers = 2}, clock_);
  for (int i = 0; i < 5000; ++i) polls.start(poll("a", new_outcome()));
  EXPECT_EQ(polls.waiting(), 5000u);
  add_work("a", 10);
  polls.wake("a", "");
  ASSERT_TRUE(eventually([&] { return polls.waiting() == 4990u; }));
  // The ten that arrived first.
  for (std::size_t i = 0; i < outcomes_.size(); ++i)
    EXPECT_EQ(outcomes_[i].got_work.load(), i < 10) << i;
}

}  // namespace
}  // namespace pop::api
