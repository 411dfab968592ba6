#include "server/descriptor_reserve.h"

#include <gtest/gtest.h>

namespace pop::server {
namespace {

TEST(ReservedDescriptors, CoverEveryOperationTheEmbeddedPullerMayRun) {
  // Four agendas of up to 32 operations each: 128 handlers of 8 descriptors, and 256 more.
  EXPECT_EQ(reserved_descriptors(1'048'576, 4, 32), 256u + 4 * 32 * 8);
  EXPECT_EQ(reserved_descriptors(4096, 4, 32), 1280u);
  EXPECT_EQ(reserved_descriptors(1'048'576, 0, 32), 256u) << "no embedded puller";
}

TEST(ReservedDescriptors, LeaveHalfTheLimitToClientConnections) {
  EXPECT_EQ(reserved_descriptors(1024, 4, 32), 512u);
  EXPECT_EQ(reserved_descriptors(20'000, 10'000, 32), 10'000u);
  // The fixed part stays whatever the limit.
  EXPECT_EQ(reserved_descriptors(300, 4, 32), 256u);
  EXPECT_EQ(reserved_descriptors(1024, 0, 32), 256u);
}

}  // namespace
}  // namespace pop::server
