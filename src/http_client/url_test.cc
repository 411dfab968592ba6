#include "http_client/url.h"

#include <gtest/gtest.h>

namespace pop::http_client {
namespace {

TEST(PercentEncode, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(percent_encode("Agenda-1.v2_x~"), "Agenda-1.v2_x~");
  EXPECT_EQ(percent_encode("a/b c?d=e&f#%"), "a%2Fb%20c%3Fd%3De%26f%23%25");
  EXPECT_EQ(percent_encode("caf\xc3\xa9"), "caf%C3%A9");
  EXPECT_EQ(percent_encode(""), "");
}

}  // namespace
}  // namespace pop::http_client
