#include "util/json_limits.h"

#include <gtest/gtest.h>

#include <string>

namespace pop {
namespace {

std::string nested_arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(JsonLimitsTest, ParsesWithinLimits) {
  auto parsed = parse_json_limited(R"({"a": [1, {"b": true}]})", 100, 3);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ((*parsed)["a"][1]["b"], true);
}

TEST(JsonLimitsTest, ScalarHasDepthZero) {
  auto parsed = parse_json_limited("42", 10, 0);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, 42);
}

TEST(JsonLimitsTest, DepthExactlyAtLimitIsAccepted) {
  EXPECT_TRUE(parse_json_limited(nested_arrays(64), 1000, 64));
  EXPECT_TRUE(parse_json_limited(R"({"a":{"b":{}}})", 1000, 3));
}

TEST(JsonLimitsTest, DepthOverLimitIsTooLarge) {
  auto parsed = parse_json_limited(nested_arrays(65), 1000, 64);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(parsed.error().message, "JSON nesting depth exceeds the limit of 64");

  auto objects = parse_json_limited(R"({"a":{"b":{}}})", 1000, 2);
  ASSERT_FALSE(objects);
  EXPECT_EQ(objects.error().code, ErrorCode::kTooLarge);
}

// A document far deeper than any stack could recurse through is rejected while parsing,
// before it is built; an unbounded recursive parse would crash instead.
TEST(JsonLimitsTest, HostileDepthIsRejectedEarly) {
  std::string hostile = std::string(1'000'000, '[');  // also unterminated: depth wins first
  auto parsed = parse_json_limited(hostile, 2'000'000, 64);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kTooLarge);
}

TEST(JsonLimitsTest, SizeIsCheckedBeforeParsing) {
  auto parsed = parse_json_limited("[1, 2, 3]", 8, 64);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(parsed.error().message, "JSON document is 9 bytes, over the limit of 8 bytes");
  EXPECT_TRUE(parse_json_limited("[1, 2, 3]", 9, 64));
}

TEST(JsonLimitsTest, OversizedGarbageIsTooLargeNotSyntax) {
  auto parsed = parse_json_limited("{{{{{{", 3, 64);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kTooLarge);
}

TEST(JsonLimitsTest, SyntaxErrorCarriesByteOffset) {
  auto parsed = parse_json_limited(R"({"a": tru })", 100, 64);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(parsed.error().message,
            "invalid JSON at byte offset 9: syntax error while parsing value "
            "- invalid literal; last read: '\"a\": tru '");
}

TEST(JsonLimitsTest, TruncatedDocumentIsSyntaxError) {
  auto parsed = parse_json_limited(R"({"a": [1, 2)", 100, 64);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(parsed.error().message,
            "invalid JSON at byte offset 11: syntax error while parsing array - unexpected end "
            "of input; expected ']'");
}

TEST(JsonLimitsTest, EmptyAndTrailingTextAreSyntaxErrors) {
  for (std::string_view text : {"", "   ", "{} {}", "[1,]"}) {
    auto parsed = parse_json_limited(text, 100, 64);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument) << text;
  }
}

TEST(JsonLimitsTest, InvalidUtf8IsSyntaxErrorWithAnAsciiMessage) {
  auto parsed = parse_json_limited("\"\xff\"", 100, 64);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  // The message must itself be serialisable, e.g. into an HTTP error body.
  EXPECT_NO_THROW(nlohmann::json(parsed.error().message).dump()) << parsed.error().message;
  EXPECT_NE(parsed.error().message.find("last read: '\"?'"), std::string::npos)
      << parsed.error().message;
}

TEST(JsonLimitsTest, NumberOverflowIsInvalidArgument) {
  auto parsed = parse_json_limited("1e999", 100, 64);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(parsed.error().message,
            "invalid JSON at byte offset 4: number overflow parsing '1e999'");
}

}  // namespace
}  // namespace pop
