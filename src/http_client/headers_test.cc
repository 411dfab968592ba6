#include "http_client/headers.h"

#include <gtest/gtest.h>

namespace pop::http_client {
namespace {

TEST(Headers, NamesIgnoreCase) {
  Headers headers;
  headers["Content-Type"] = "application/json";
  headers["content-type"] = "text/plain";
  EXPECT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers.at("CONTENT-TYPE"), "text/plain");
  EXPECT_TRUE(headers.contains(std::string_view("content-TYPE")));
  EXPECT_FALSE(headers.contains("Content-Length"));
}

TEST(Headers, Validation) {
  EXPECT_TRUE(is_valid_header_name("X-Correlation-Id"));
  EXPECT_FALSE(is_valid_header_name(""));
  EXPECT_FALSE(is_valid_header_name("Bad Name"));
  EXPECT_FALSE(is_valid_header_name("Bad:Name"));
  EXPECT_FALSE(is_valid_header_name("X\r\nY"));
  EXPECT_TRUE(is_valid_header_value("Bearer abc, and: more"));
  EXPECT_TRUE(is_valid_header_value(""));
  EXPECT_FALSE(is_valid_header_value("a\r\nX-Evil: 1"));
  EXPECT_FALSE(is_valid_header_value("a\nb"));
  EXPECT_FALSE(is_valid_header_value(std::string_view("a\0b", 3)));
}

}  // namespace
}  // namespace pop::http_client
