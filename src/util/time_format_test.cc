#include "util/time_format.h"

#include <gtest/gtest.h>

namespace pop {
namespace {

TEST(TimeFormat, RoundTripsMilliseconds) {
  const WallTime time{std::chrono::milliseconds(1795852800123)};
  EXPECT_EQ(format_time(time), "2026-11-28T08:00:00.123Z");
  auto parsed = parse_time(format_time(time));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, time);
}

TEST(TimeFormat, AcceptsEpochMillisAndNoFraction) {
  EXPECT_EQ(*parse_time(1795852800123LL), WallTime{std::chrono::milliseconds(1795852800123)});
  EXPECT_EQ(*parse_time("2026-11-28T08:00:00Z"),
            WallTime{std::chrono::milliseconds(1795852800000)});
}

TEST(TimeFormat, RejectsNonUtcAndGarbage) {
  EXPECT_FALSE(parse_time("2026-11-28T08:00:00+01:00").has_value());
  EXPECT_FALSE(parse_time("yesterday").has_value());
  EXPECT_FALSE(parse_time(true).has_value());
}

}  // namespace
}  // namespace pop
