#include "util/base64url.h"

#include <gtest/gtest.h>

namespace pop {
namespace {

// RFC 4648 §10 test vectors, unpadded and in the URL alphabet.
TEST(Base64Url, EncodesTheRfcVectors) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");
}

TEST(Base64Url, RoundTripsEveryByte) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (std::size_t length = 0; length <= bytes.size(); length += 37) {
    const std::string piece = bytes.substr(bytes.size() - length);
    EXPECT_EQ(base64url_decode(base64url_encode(piece)), piece) << length;
  }
}

TEST(Base64Url, RejectsAnythingButTheCanonicalForm) {
  EXPECT_EQ(base64url_decode("Zm9vYmFy"), "foobar");
  EXPECT_FALSE(base64url_decode("Zg=="));     // padding
  EXPECT_FALSE(base64url_decode("Zm9v+/"));   // the standard alphabet
  EXPECT_FALSE(base64url_decode("Zm9vY"));    // 1 modulo 4
  EXPECT_FALSE(base64url_decode("Zh"));       // "Zh" decodes to "f" with stray bits set
  EXPECT_FALSE(base64url_decode("Zm9v Zg"));  // whitespace
  EXPECT_FALSE(base64url_decode(std::string("Zg\0", 3)));
}

}  // namespace
}  // namespace pop
