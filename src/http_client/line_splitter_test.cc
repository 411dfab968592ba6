#include "http_client/line_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pop::http_client {
namespace {

TEST(LineSplitter, JoinsLinesAcrossChunkBoundaries) {
  std::vector<std::string> lines;
  LineSplitter splitter([&](std::string_view line) {
    lines.emplace_back(line);
    return true;
  });
  EXPECT_TRUE(splitter.feed("{\"a\":1}\n{\"b\""));
  EXPECT_TRUE(splitter.feed(":2}\r"));
  EXPECT_TRUE(splitter.feed("\n\nlast"));
  EXPECT_EQ(lines, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", ""}));
  EXPECT_TRUE(splitter.finish());
  EXPECT_EQ(lines.back(), "last");
}

TEST(LineSplitter, StopsWhenTheHandlerSaysSo) {
  int calls = 0;
  LineSplitter splitter([&](std::string_view) { return ++calls < 2; });
  EXPECT_FALSE(splitter.feed("1\n2\n3\n"));
  EXPECT_FALSE(splitter.feed("4\n"));
  EXPECT_EQ(calls, 2);
  EXPECT_FALSE(splitter.overflowed());
}

TEST(LineSplitter, RefusesOverlongLines) {
  int calls = 0;
  LineSplitter splitter(
      [&](std::string_view) {
        ++calls;
        return true;
      },
      8);
  EXPECT_TRUE(splitter.feed("12345678\n1234"));
  EXPECT_FALSE(splitter.feed("56789"));
  EXPECT_TRUE(splitter.overflowed());
  EXPECT_EQ(calls, 1);
  LineSplitter whole([&](std::string_view) { return true; }, 4);
  EXPECT_FALSE(whole.feed("123456\n"));
  EXPECT_TRUE(whole.overflowed());
}

}  // namespace
}  // namespace pop::http_client
