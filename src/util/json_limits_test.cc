#include "util/json_limits.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pop {
namespace {

constexpr std::size_t kManyValues = 10'000'000;

std::string nested_arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(JsonLimitsTest, ParsesWithinLimits) {
  auto parsed = parse_json_limited(R"({"a": [1, {"b": true}]})", {100, 3, kManyValues});
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ((*parsed)["a"][1]["b"], true);
}

TEST(JsonLimitsTest, ScalarHasDepthZero) {
  auto parsed = parse_json_limited("42", {10, 0, kManyValues});
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, 42);
}

TEST(JsonLimitsTest, DepthExactlyAtLimitIsAccepted) {
  EXPECT_TRUE(parse_json_limited(nested_arrays(64), {1000, 64, kManyValues}));
  EXPECT_TRUE(parse_json_limited(R"({"a":{"b":{}}})", {1000, 3, kManyValues}));
}

TEST(JsonLimitsTest, DepthOverLimitIsTooLarge) {
  auto parsed = parse_json_limited(nested_arrays(65), {1000, 64, kManyValues});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(parsed.error().message, "JSON nesting depth exceeds the limit of 64");

  auto objects = parse_json_limited(R"({"a":{"b":{}}})", {1000, 2, kManyValues});
  ASSERT_FALSE(objects);
  EXPECT_EQ(objects.error().code, ErrorCode::kTooLarge);
}

// A document far deeper than any stack could recurse through is rejected while parsing,
// before it is built; an unbounded recursive parse would crash instead.
TEST(JsonLimitsTest, HostileDepthIsRejectedEarly) {
  std::string hostile = std::string(1'000'000, '[');  // also unterminated: depth wins first
  auto parsed = parse_json_limited(hostile, {2'000'000, 64, kManyValues});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kTooLarge);
}

TEST(JsonLimitsTest, SizeIsCheckedBeforeParsing) {
  auto parsed = parse_json_limited("[1, 2, 3]", {8, 64, kManyValues});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(parsed.error().message, "JSON document is 9 bytes, over the limit of 8 bytes");
  EXPECT_TRUE(parse_json_limited("[1, 2, 3]", {9, 64, kManyValues}));
}

TEST(JsonLimitsTest, OversizedGarbageIsTooLargeNotSyntax) {
  auto parsed = parse_json_limited("{{{{{{", {3, 64, kManyValues});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kTooLarge);
}

TEST(JsonLimitsTest, SyntaxErrorCarriesByteOffset) {
  auto parsed = parse_json_limited(R"({"a": tru })", {100, 64, kManyValues});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(parsed.error().message,
            "invalid JSON at byte offset 9: syntax error while parsing value "
            "- invalid literal; last read: '\"a\": tru '");
}

TEST(JsonLimitsTest, TruncatedDocumentIsSyntaxError) {
  auto parsed = parse_json_limited(R"({"a": [1, 2)", {100, 64, kManyValues});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(parsed.error().message,
            "invalid JSON at byte offset 11: syntax error while parsing array - unexpected end "
            "of input; expected ']'");
}

TEST(JsonLimitsTest, EmptyAndTrailingTextAreSyntaxErrors) {
  for (std::string_view text : {"", "   ", "{} {}", "[1,]"}) {
    auto parsed = parse_json_limited(text, {100, 64, kManyValues});
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument) << text;
  }
}

TEST(JsonLimitsTest, InvalidUtf8IsSyntaxErrorWithAnAsciiMessage) {
  auto parsed = parse_json_limited("\"\xff\"", {100, 64, kManyValues});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  // The message must itself be serialisable, e.g. into an HTTP error body.
  EXPECT_NO_THROW(nlohmann::json(parsed.error().message).dump()) << parsed.error().message;
  EXPECT_NE(parsed.error().message.find("last read: '\"?'"), std::string::npos)
      << parsed.error().message;
}

TEST(JsonLimitsTest, NumberOverflowIsInvalidArgument) {
  auto parsed = parse_json_limited("1e999", {100, 64, kManyValues});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(parsed.error().message,
            "invalid JSON at byte offset 4: number overflow parsing '1e999'");
}

// Values are counted while parsing, before anything is built: every scalar, object and
// array, but not object keys.
TEST(JsonLimitsTest, ValuesAreCountedAndTheLimitIsInclusive) {
  const std::string four = R"({"a": [1, "two"]})";  // object, array, 1, "two"
  auto parsed = parse_json_limited(four, {100, 8, 4});
  ASSERT_TRUE(parsed) << parsed.error().message;
  auto over = parse_json_limited(four, {100, 8, 3});
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(over.error().message,
            "JSON document exceeds the limit of 3 JSON values (each scalar, object and array "
            "counts)");
  EXPECT_TRUE(parse_json_limited("{}", {100, 8, 1}));
  EXPECT_TRUE(parse_json_limited(R"({"k": null})", {100, 8, 2}));
  EXPECT_FALSE(parse_json_limited(R"({"k": null})", {100, 8, 1}));
}

// 30 MiB of "{}," is 10 M objects, gigabytes once built: refused by the first pass, which
// allocates nothing per value.
TEST(JsonLimitsTest, MillionsOfEmptyObjectsAreRefusedBeforeBuilding) {
  std::string text = "[";
  for (int i = 0; i < 2'000'000; ++i) text += i == 0 ? "{}" : ",{}";
  text += "]";
  auto parsed = parse_json_limited(text, {32u << 20, 64, 1'000'000});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kTooLarge);
  EXPECT_NE(parsed.error().message.find("limit of 1000000 JSON values"), std::string::npos);
}

// A value built in memory (a bound template) is held to the limits a parse applies, with the
// parse's words: the same document (compact, as the check counts its bytes) is refused, or
// accepted, either way.
TEST(JsonLimitsTest, BuiltValuesMeetTheSameLimitsInTheSameWords) {
  const std::vector<std::string> documents = {R"({"a":[1,{"b":true}]})", nested_arrays(4),
                                              nested_arrays(3), R"([1,2,3,4,5,6])",
                                              R"({"text":"twenty-five bytes of text"})"};
  for (const JsonLimits limits :
       {JsonLimits{100, 3, kManyValues}, JsonLimits{100, 8, 5}, JsonLimits{20, 8, kManyValues}}) {
    for (const std::string& text : documents) {
      const auto parsed = parse_json_limited(text, {1000, 100, kManyValues});
      ASSERT_TRUE(parsed) << text;
      const auto limited = parse_json_limited(text, limits);
      const auto checked = check_json_limits(*parsed, limits);
      ASSERT_EQ(checked.has_value(), limited.has_value()) << text;
      if (!checked) {
        EXPECT_EQ(checked.error().code, ErrorCode::kTooLarge) << text;
        EXPECT_EQ(checked.error().message, limited.error().message) << text;
      }
    }
  }
}

}  // namespace
}  // namespace pop
