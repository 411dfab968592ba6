#include "http/correlation_id.h"

#include <gtest/gtest.h>

#include <set>

namespace pop::http {
namespace {

TEST(CorrelationIdTest, AcceptsOnlyBoundedSafeIds) {
  EXPECT_TRUE(is_sane_correlation_id("abc-123"));
  EXPECT_TRUE(is_sane_correlation_id("trace.1:span_2"));
  EXPECT_TRUE(is_sane_correlation_id(std::string(kMaxCorrelationIdLength, 'a')));
  EXPECT_FALSE(is_sane_correlation_id(""));
  EXPECT_FALSE(is_sane_correlation_id(std::string(kMaxCorrelationIdLength + 1, 'a')));
  for (const char* bad : {"a b", "a\r\nb", "a\"b", "a/b", "<script>", "\xc3\xa9"}) {
    EXPECT_FALSE(is_sane_correlation_id(bad)) << bad;
  }
}

TEST(CorrelationIdTest, GeneratesDistinct128BitHexIds) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = generate_correlation_id();
    EXPECT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(CorrelationIdTest, KeepsTheClientsIdWhenSane) {
  EXPECT_EQ(correlation_id_for("client-7"), "client-7");
  EXPECT_EQ(correlation_id_for("bad id").size(), 32u);
  EXPECT_EQ(correlation_id_for("").size(), 32u);
}

}  // namespace
}  // namespace pop::http
