#include "http/query_string.h"

#include <gtest/gtest.h>

namespace pop::http {
namespace {

TEST(PercentDecodeTest, DecodesEscapesAndPlusOnlyWhenAsked) {
  EXPECT_EQ(percent_decode("a%2Fb%20c", false).value(), "a/b c");
  EXPECT_EQ(percent_decode("a+b", false).value(), "a+b");
  EXPECT_EQ(percent_decode("a+b", true).value(), "a b");
  EXPECT_EQ(percent_decode("%e2%82%AC", false).value(), "\xe2\x82\xac");
  EXPECT_EQ(percent_decode("", false).value(), "");
}

TEST(PercentDecodeTest, RejectsMalformedEscapesAndNul) {
  for (const char* bad : {"%", "%2", "%zz", "abc%g0", "%00"}) {
    auto decoded = percent_decode(bad, false);
    ASSERT_FALSE(decoded) << bad;
    EXPECT_EQ(decoded.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(ParseQueryTest, KeepsOrderRepeatsAndEmptyValues) {
  auto query = parse_query("b=2&a=1&&tag=x&tag=y+z&flag&empty=&%3D=%26");
  ASSERT_TRUE(query);
  EXPECT_EQ(query->get("a"), "1");
  EXPECT_EQ(query->get("b"), "2");
  EXPECT_EQ(query->get_all("tag"), (std::vector<std::string_view>{"x", "y z"}));
  EXPECT_EQ(query->get("flag"), "");
  EXPECT_EQ(query->get("empty"), "");
  EXPECT_EQ(query->get("="), "&");
  EXPECT_FALSE(query->get("missing"));
  EXPECT_EQ(query->params().front().first, "b");
  EXPECT_TRUE(parse_query("").value().empty());
  EXPECT_FALSE(parse_query("a=%zz"));
  EXPECT_FALSE(parse_query("%zz=1"));
}

}  // namespace
}  // namespace pop::http
