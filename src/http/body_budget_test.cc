#include "http/body_budget.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace pop::http {
namespace {

TEST(BodyBudget, ReservesUpToItsCapacity) {
  BodyBudget budget(100);
  EXPECT_TRUE(budget.try_reserve(60));
  EXPECT_FALSE(budget.try_reserve(41));
  EXPECT_TRUE(budget.try_reserve(40));
  EXPECT_FALSE(budget.try_reserve(1));
  budget.release(60);
  EXPECT_EQ(budget.reserved(), 40u);
  EXPECT_TRUE(budget.try_reserve(60));
}

TEST(BodyReservation, GrowsAndGivesEverythingBackWhenItGoes) {
  BodyBudget budget(100);
  {
    BodyReservation first(budget);
    EXPECT_TRUE(first.grow_to(30));
    EXPECT_TRUE(first.grow_to(20));  // already held
    EXPECT_EQ(first.bytes(), 30u);
    BodyReservation second(budget);
    EXPECT_FALSE(second.grow_to(71));
    EXPECT_EQ(second.bytes(), 0u);
    EXPECT_TRUE(second.grow_to(70));
    BodyReservation moved = std::move(second);
    EXPECT_EQ(moved.bytes(), 70u);
    EXPECT_EQ(budget.reserved(), 100u);
    first.release();
    EXPECT_EQ(budget.reserved(), 70u);
  }
  EXPECT_EQ(budget.reserved(), 0u);
  BodyReservation none;
  EXPECT_TRUE(none.grow_to(0));
  EXPECT_FALSE(none.grow_to(1));
}

TEST(BodyBudget, NeverOvercommitsUnderConcurrentReservations) {
  BodyBudget budget(1000);
  std::vector<std::thread> threads;
  std::atomic<int> granted{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (budget.try_reserve(7)) {
          ++granted;
          EXPECT_LE(budget.reserved(), 1000u);
          budget.release(7);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(budget.reserved(), 0u);
  EXPECT_GT(granted.load(), 0);
}

}  // namespace
}  // namespace pop::http
