#include "util/text.h"

#include <gtest/gtest.h>

namespace pop {
namespace {

TEST(FileSafeName, ReplacesAndBounds) {
  EXPECT_EQ(file_safe_name("encode/720p video"), "encode_720p_video");
  EXPECT_EQ(file_safe_name(".hidden"), "op.hidden");
  EXPECT_EQ(file_safe_name(""), "op");
  EXPECT_EQ(file_safe_name("abcdef", 3), "abc");
}

TEST(ValidUtf8, KeepsWellFormedAndReplacesTheRest) {
  EXPECT_EQ(valid_utf8("plain é € 𝄞"), "plain é € 𝄞");
  EXPECT_EQ(valid_utf8("a\xFF"
                       "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(valid_utf8("cut \xE2\x82"), "cut \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  EXPECT_EQ(valid_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
}

TEST(EscapeForLog, NoControlCharacterSurvives) {
  EXPECT_EQ(escape_for_log("alice"), "alice");
  EXPECT_EQ(escape_for_log("a\nb\rc\td\\e"), "a\\nb\\rc\\td\\\\e");
  EXPECT_EQ(escape_for_log(std::string("x\0y\x1b[2J\x7f", 8)), "x\\x00y\\x1b[2J\\x7f");
  EXPECT_EQ(escape_for_log("\xc2\x9b"
                           "1m"),
            "\\u009b1m");
  EXPECT_EQ(escape_for_log("caf\xc3\xa9 \xe2\x82\xac"), "caf\xc3\xa9 \xe2\x82\xac");
}

}  // namespace
}  // namespace pop
