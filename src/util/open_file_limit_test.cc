#include "util/open_file_limit.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace pop {
namespace {

TEST(OpenFileLimit, RaisesTheSoftLimitToTheHardOne) {
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  if (saved.rlim_max < 2048) GTEST_SKIP() << "hard limit too low to lower the soft one";
  rlimit lowered = saved;
  lowered.rlim_cur = 1024;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);
  const std::size_t raised = raise_open_file_limit();
  rlimit now{};
  getrlimit(RLIMIT_NOFILE, &now);
  setrlimit(RLIMIT_NOFILE, &saved);
  EXPECT_EQ(now.rlim_cur, saved.rlim_max);
  EXPECT_EQ(raised, static_cast<std::size_t>(saved.rlim_max));
}

TEST(OpenFileLimit, ConnectionsLeaveTheReserveFree) {
  EXPECT_EQ(connections_within(1024, 256, 10000), 768u);
  EXPECT_EQ(connections_within(1'048'576, 256, 10000), 10000u);
  EXPECT_EQ(connections_within(100, 256, 10000), 16u);
  EXPECT_EQ(connections_within(300, 256, 10000, 64), 64u);
}

}  // namespace
}  // namespace pop
