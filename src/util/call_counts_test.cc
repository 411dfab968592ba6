#include "util/call_counts.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace pop {
namespace {

TEST(CallCounts, CountsByWhatAndStatusInOrder) {
  CallCounts counts;
  counts.add("list", 200);
  counts.add("create", 201);
  counts.add("list", 200);
  counts.add("list", 0);
  const std::vector<CallCounts::Count> snapshot = counts.snapshot();
  ASSERT_EQ(snapshot.size(), 3u);
  EXPECT_EQ(snapshot[0].what, "create");
  EXPECT_EQ(snapshot[0].calls, 1u);
  EXPECT_EQ(snapshot[1].what, "list");
  EXPECT_EQ(snapshot[1].status, 0);
  EXPECT_EQ(snapshot[2].status, 200);
  EXPECT_EQ(snapshot[2].calls, 2u);
}

TEST(CallCounts, NoCallIsLostBetweenThreads) {
  CallCounts counts;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&counts] {
      for (int i = 0; i < 1000; ++i) counts.add("get", 200);
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counts.snapshot().at(0).calls, 4000u);
}

}  // namespace
}  // namespace pop
