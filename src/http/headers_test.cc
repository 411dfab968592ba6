#include "http/headers.h"

#include <gtest/gtest.h>

namespace pop::http {
namespace {

TEST(HeadersTest, LookupIgnoresCase) {
  Headers headers;
  headers.add("Content-Type", "application/json");
  EXPECT_EQ(headers.get("content-type"), "application/json");
  EXPECT_EQ(headers.get("CONTENT-TYPE"), "application/json");
  EXPECT_FALSE(headers.get("Content-Length"));
  EXPECT_TRUE(iequals("X-Correlation-Id", "x-correlation-id"));
  EXPECT_FALSE(iequals("X-Correlation-Id", "x-correlation-i"));
}

TEST(HeadersTest, SetReplacesEveryFieldOfTheNameAndAddKeepsThem) {
  Headers headers;
  headers.add("Set-Cookie", "a=1");
  headers.add("Accept", "*/*");
  headers.add("set-cookie", "b=2");
  EXPECT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers.get("Set-Cookie"), "a=1");  // the first one
  headers.set("SET-COOKIE", "c=3");
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers.fields()[0], (Headers::Field{"Set-Cookie", "c=3"}));  // position kept
  EXPECT_EQ(headers.fields()[1].first, "Accept");
  headers.remove("accept");
  EXPECT_EQ(headers.size(), 1u);
  headers.set("New", "x");
  EXPECT_EQ(headers.get("new"), "x");
}

}  // namespace
}  // namespace pop::http
