#include "util/yaml_json.h"

#include <gtest/gtest.h>

namespace pop {
namespace {

constexpr JsonLimits kLimits{.max_bytes = 1u << 20, .max_depth = 16, .max_values = 10'000};

TEST(YamlJson, ConvertsScalarsByCoreSchema) {
  auto json = yaml_to_json("a: 1\nb: 2.5\nc: true\nd: ~\ne: text\nf: \"7\"\ng: [x, 3]\n", kLimits);
  ASSERT_TRUE(json.has_value());
  EXPECT_EQ(
      *json,
      nlohmann::json::parse(
          R"({"a": 1, "b": 2.5, "c": true, "d": null, "e": "text", "f": "7", "g": ["x", 3]})"));
}

TEST(YamlJson, ErrorsCarryTheLine) {
  auto json = yaml_to_json("a: 1\nb: [unclosed\n", kLimits);
  ASSERT_FALSE(json.has_value());
  EXPECT_NE(json.error().message.find("line "), std::string::npos);
}

// Found by fuzz/handler_registry: YAML does not check that its text is UTF-8, so a byte
// like 0xC5 alone made a JSON string that dump() refuses with an exception, which a
// registry's error message ended in (terminate). Refused here, naming the line.
TEST(YamlJson, TextThatIsNotUtf8IsRefusedNamingTheLine) {
  for (const char* text :
       {"a: 1\nmemory: \"2\xC5Gi\"\n", "a: 1\n\xC5: x\n", "a: 1\nlist: [ok, \xED\xA0\x80]\n"}) {
    auto json = yaml_to_json(text, kLimits);
    ASSERT_FALSE(json.has_value()) << text;
    EXPECT_EQ(json.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(json.error().message, "line 2: a string is not valid UTF-8") << text;
  }
}

TEST(YamlJson, AliasesExpandToWhatTheyName) {
  auto json = yaml_to_json("base: &b {x: 1}\nuse: *b\nlist: [*b, *b]\n", kLimits);
  ASSERT_TRUE(json.has_value()) << json.error().message;
  EXPECT_EQ(*json, nlohmann::json::parse(
                       R"({"base": {"x": 1}, "use": {"x": 1}, "list": [{"x": 1}, {"x": 1}]})"));
}

// Found by fuzz/handler_registry: an alias inside its own anchor is a cycle, which the
// conversion followed until the stack overflowed (a crash of `pop server --handlers FILE`).
TEST(YamlJson, AliasCycleIsRefused) {
  for (const char* text : {"a: &x [*x]\n", "&x {a: [1, {b: *x}]}\n"}) {
    auto json = yaml_to_json(text, kLimits);
    ASSERT_FALSE(json.has_value()) << text;
    EXPECT_EQ(json.error().code, ErrorCode::kTooLarge);
    EXPECT_NE(json.error().message.find("nesting depth exceeds"), std::string::npos)
        << json.error().message;
  }
}

// Aliases are held once by the YAML parser but copied into JSON: nine levels of nine-fold
// aliases are 387 M values. Counting while converting stops them.
TEST(YamlJson, AliasesThatExpandPastTheValueLimitAreRefused) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n";
  for (char level = 'b'; level <= 'i'; ++level) {
    const char previous = static_cast<char>(level - 1);
    bomb += std::string(1, level) + ": &" + level + " [";
    for (int i = 0; i < 9; ++i) bomb += std::string(i ? ", *" : "*") + previous;
    bomb += "]\n";
  }
  auto json = yaml_to_json(bomb, kLimits);
  ASSERT_FALSE(json.has_value());
  EXPECT_EQ(json.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(json.error().message,
            "YAML document exceeds the limit of 10000 JSON values (aliases count each time they "
            "are used)");
}

TEST(YamlJson, BytesAndDepthAreLimited) {
  auto big = yaml_to_json("a: " + std::string(100, 'x'),
                          {.max_bytes = 50, .max_depth = 4, .max_values = 100});
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().message, "YAML document is 103 bytes, over the limit of 50 bytes");
  auto deep = yaml_to_json("a: [[[[1]]]]", {.max_bytes = 50, .max_depth = 4, .max_values = 100});
  ASSERT_FALSE(deep.has_value());
  EXPECT_EQ(deep.error().message, "YAML nesting depth exceeds the limit of 4");
  EXPECT_TRUE(yaml_to_json("a: [[[1]]]", {.max_bytes = 50, .max_depth = 4, .max_values = 100}));
}

}  // namespace
}  // namespace pop
