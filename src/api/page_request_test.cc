#include "api/page_request.h"

#include <gtest/gtest.h>

namespace pop::api {
namespace {

TEST(PageRequestTest, ReadsLimitAndCursor) {
  auto query = http::parse_query("limit=25&cursor=d.abc");
  ASSERT_TRUE(query.has_value());
  auto page = page_request(*query);
  ASSERT_TRUE(page.has_value()) << page.error().message;
  EXPECT_EQ(page->limit, 25u);
  EXPECT_EQ(page->cursor, "d.abc");
  auto defaults = page_request({});
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->limit, 100u);
  EXPECT_TRUE(defaults->cursor.empty());
}

TEST(PageRequestTest, RefusesBadLimitsAndUnknownParameters) {
  for (const char* text : {"limit=0", "limit=1001", "limit=-1", "limit=1x", "limit=", "order=id"}) {
    auto query = http::parse_query(text);
    ASSERT_TRUE(query.has_value());
    auto page = page_request(*query);
    ASSERT_FALSE(page.has_value()) << text;
    EXPECT_EQ(page.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(*parse_page_limit("1000"), 1000u);
}

}  // namespace
}  // namespace pop::api
