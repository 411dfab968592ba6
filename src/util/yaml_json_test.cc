#include "util/yaml_json.h"

#include <gtest/gtest.h>

namespace pop {
namespace {

TEST(YamlJson, ConvertsScalarsByCoreSchema) {
  auto json = yaml_to_json("a: 1\nb: 2.5\nc: true\nd: ~\ne: text\nf: \"7\"\ng: [x, 3]\n");
  ASSERT_TRUE(json.has_value());
  EXPECT_EQ(
      *json,
      nlohmann::json::parse(
          R"({"a": 1, "b": 2.5, "c": true, "d": null, "e": "text", "f": "7", "g": ["x", 3]})"));
}

TEST(YamlJson, ErrorsCarryTheLine) {
  auto json = yaml_to_json("a: 1\nb: [unclosed\n");
  ASSERT_FALSE(json.has_value());
  EXPECT_NE(json.error().message.find("line "), std::string::npos);
}

}  // namespace
}  // namespace pop
