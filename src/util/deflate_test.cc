#include "util/deflate.h"

#include <gtest/gtest.h>

#include <string>

namespace pop {
namespace {

TEST(DeflateTest, RoundTripsAndShrinksRepetitiveText) {
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "line " + std::to_string(i % 7) + "\n";
  const std::string compressed = deflate_bytes(text);
  EXPECT_LT(compressed.size(), text.size() / 10);
  auto back = inflate_bytes(compressed, text.size());
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, text);
  auto empty = inflate_bytes(deflate_bytes(""), 0);
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, "");
}

TEST(DeflateTest, RefusesGarbageTruncationAndInflationPastTheLimit) {
  const std::string compressed = deflate_bytes(std::string(100000, 'x'));
  EXPECT_FALSE(inflate_bytes("not zlib", 100).has_value());
  EXPECT_FALSE(inflate_bytes(compressed.substr(0, compressed.size() / 2), 100000).has_value());
  auto bomb = inflate_bytes(compressed, 1000);
  ASSERT_FALSE(bomb.has_value());
  EXPECT_NE(bomb.error().message.find("1000"), std::string::npos);
}

}  // namespace
}  // namespace pop
