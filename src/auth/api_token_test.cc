#include "auth/api_token.h"

#include <gtest/gtest.h>

#include <set>

namespace pop::auth {
namespace {

TEST(ApiToken, MintedTokensParseBackToTheirParts) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto minted = mint_api_token();
    ASSERT_TRUE(minted.has_value());
    EXPECT_EQ(minted->text.size(), 4u + 16 + 1 + 43);  // pop_ <id> _ <256 bits in base64url>
    EXPECT_EQ(minted->parts.secret.size(), 32u);
    auto parsed = parse_api_token(minted->text);
    ASSERT_TRUE(parsed.has_value()) << minted->text;
    EXPECT_EQ(parsed->id, minted->parts.id);
    EXPECT_EQ(parsed->secret, minted->parts.secret);
    EXPECT_TRUE(seen.insert(minted->parts.id).second);
  }
}

TEST(ApiToken, AnythingElseDoesNotParse) {
  auto minted = mint_api_token();
  ASSERT_TRUE(minted.has_value());
  const std::string& text = minted->text;
  for (const std::string& bad :
       {std::string(), std::string("pop_"), text.substr(0, text.size() - 1), text + "A",
        "pap_" + text.substr(4), text.substr(0, 20) + "-" + text.substr(21),
        "pop_0123456789ABCDEF_" + text.substr(21), text.substr(0, 4) + text.substr(5)}) {
    EXPECT_FALSE(parse_api_token(bad).has_value()) << bad;
  }
}

TEST(ApiToken, OnlyTheSecretsHashIsKept) {
  const std::string hash = api_token_secret_hash("abc");
  EXPECT_EQ(hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace pop::auth
