#include "agenda/declared_resources.h"

#include <gtest/gtest.h>

namespace pop {
using Json = nlohmann::json;

namespace {

TEST(DeclaredResourcesTest, ReadsTheDeclarationAndRejectsBadAmountsNamingThem) {
  auto declared = declared_resources(Json::parse(R"({"resources": {"cpu": 2, "gpu": 0.5}})"));
  ASSERT_TRUE(declared.has_value());
  EXPECT_EQ(*declared, (Resources{{"cpu", 2}, {"gpu", 0.5}}));
  EXPECT_TRUE(declared_resources(Json::object())->empty());
  for (const char* bad : {R"({"resources": 3})", R"({"resources": {"cpu": -1}})",
                          R"({"resources": {"cpu": "2"}})", R"({"resources": {"": 1}})"}) {
    auto refused = declared_resources(Json::parse(bad));
    ASSERT_FALSE(refused.has_value()) << bad;
    EXPECT_NE(refused.error().message.find("params.resources"), std::string::npos);
  }
}

TEST(DeclaredResourcesTest, FitsOnlyWhatIsAdvertisedAndLeft) {
  Resources free = {{"cpu", 4}, {"memoryMiB", 8192}};
  EXPECT_TRUE(fits({{"cpu", 4}}, free));
  EXPECT_FALSE(fits({{"cpu", 4.5}}, free));
  EXPECT_FALSE(fits({{"gpu", 1}}, free)) << "a resource the puller does not have";
  EXPECT_TRUE(fits({{"gpu", 0}}, free));
  take_from(free, {{"cpu", 3}, {"gpu", 1}});
  EXPECT_EQ(free, (Resources{{"cpu", 1}, {"memoryMiB", 8192}}));
  EXPECT_FALSE(fits({{"cpu", 2}}, free));
}

TEST(DeclaredResourcesTest, ReadsCommandLineFlags) {
  auto flags = resources_from_flags({"cpu=8", "memoryMiB=16384.5"});
  ASSERT_TRUE(flags.has_value());
  EXPECT_EQ(**flags, (Resources{{"cpu", 8}, {"memoryMiB", 16384.5}}));
  EXPECT_FALSE(resources_from_flags({})->has_value());
  for (const char* bad : {"cpu", "cpu=", "cpu=8x", "cpu=-1", "=3"}) {
    auto refused = resources_from_flags({bad});
    ASSERT_FALSE(refused.has_value()) << bad;
    EXPECT_NE(refused.error().message.find("--resource"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace pop
