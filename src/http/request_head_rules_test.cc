#include "http/request_head_rules.h"

#include <gtest/gtest.h>

#include "http/error_response.h"

namespace pop::http {
namespace {

Headers headers(std::initializer_list<std::pair<const char*, const char*>> fields) {
  Headers out;
  for (const auto& [name, value] : fields) out.add(name, value);
  return out;
}

TEST(RequestHeadRules, Http11NeedsExactlyOneHost) {
  EXPECT_FALSE(check_request_head(11, headers({{"Host", "a"}})));
  auto missing = check_request_head(11, headers({}));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_NE(missing->message.find("Host"), std::string::npos);
  EXPECT_TRUE(check_request_head(11, headers({{"Host", "a"}, {"host", "b"}})));
  EXPECT_FALSE(check_request_head(10, headers({})));
  EXPECT_TRUE(check_request_head(10, headers({{"Host", "a"}, {"Host", "a"}})));
}

TEST(RequestHeadRules, OnlyASingleChunkedCodingIsAccepted) {
  EXPECT_FALSE(check_request_head(11, headers({{"Host", "a"}, {"Transfer-Encoding", "chunked"}})));
  EXPECT_FALSE(
      check_request_head(11, headers({{"Host", "a"}, {"Transfer-Encoding", " Chunked "}})));
  for (const char* coding :
       {"gzip, chunked", "chunked, chunked", "identity", "gzip", ",chunked,x"}) {
    auto refused = check_request_head(11, headers({{"Host", "a"}, {"Transfer-Encoding", coding}}));
    ASSERT_TRUE(refused) << coding;
    EXPECT_EQ(refused->status, 501) << coding;
    EXPECT_EQ(refused->code, kNotImplementedCode);
  }
  // Two fields are one list.
  auto split = check_request_head(
      11,
      headers({{"Host", "a"}, {"Transfer-Encoding", "gzip"}, {"Transfer-Encoding", "chunked"}}));
  ASSERT_TRUE(split);
  EXPECT_EQ(split->status, 501);
  auto old = check_request_head(10, headers({{"Transfer-Encoding", "chunked"}}));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->status, 400);
}

TEST(RequestHeadRules, OneAuthorizationAtMost) {
  EXPECT_FALSE(check_request_head(11, headers({{"Host", "a"}, {"Authorization", "Bearer x"}})));
  auto twice = check_request_head(
      11, headers({{"Host", "a"}, {"Authorization", "Bearer x"}, {"authorization", "Bearer y"}}));
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->status, 400);
  EXPECT_NE(twice->message.find("Authorization"), std::string::npos);
}

}  // namespace
}  // namespace pop::http
