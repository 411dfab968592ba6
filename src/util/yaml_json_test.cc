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

TEST(YamlJson, AliasesExpandToWhatTheyName) {
  auto json = yaml_to_json("base: &b {x: 1}\nuse: *b\nlist: [*b, *b]\n");
  ASSERT_TRUE(json.has_value()) << json.error().message;
  EXPECT_EQ(*json, nlohmann::json::parse(
                       R"({"base": {"x": 1}, "use": {"x": 1}, "list": [{"x": 1}, {"x": 1}]})"));
}

// Found by fuzz/handler_registry: an alias inside its own anchor is a cycle, which the
// conversion followed until the stack overflowed (a crash of `pop server --handlers FILE`).
TEST(YamlJson, AliasCycleIsRefused) {
  for (const char* text : {"a: &x [*x]\n", "&x {a: [1, {b: *x}]}\n"}) {
    auto json = yaml_to_json(text);
    ASSERT_FALSE(json.has_value()) << text;
    EXPECT_EQ(json.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(json.error().message.find("nested deeper than 64"), std::string::npos)
        << json.error().message;
  }
}

TEST(YamlJson, NestingIsLimited) {
  const auto nested = [](int depth) {
    return std::string(static_cast<std::size_t>(depth), '[') +
           std::string(static_cast<std::size_t>(depth), ']');
  };
  EXPECT_TRUE(yaml_to_json(nested(kMaxYamlDepth)).has_value());
  EXPECT_FALSE(yaml_to_json(nested(kMaxYamlDepth + 1)).has_value());
}

// Found by fuzz/handler_registry: aliases of aliases ("billion laughs") made a 200-byte file
// expand without bound (9 levels: 10^9 values, minutes and gigabytes). Five levels (10^6
// values) are enough to pass the limit.
TEST(YamlJson, AliasExpansionIsLimited) {
  std::string text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level <= 5; ++level) {
    const std::string previous = "*l" + std::to_string(level - 1);
    text += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) text += (i == 0 ? "" : ", ") + previous;
    text += "]\n";
  }
  auto json = yaml_to_json(text);
  ASSERT_FALSE(json.has_value());
  EXPECT_EQ(json.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(json.error().message.find("more than 100000 values"), std::string::npos)
      << json.error().message;
}

}  // namespace
}  // namespace pop
