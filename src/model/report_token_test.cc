#include "model/report_token.h"

#include <gtest/gtest.h>

#include "util/base64url.h"
#include "util/crypto.h"

namespace pop {
namespace {

const std::string kSecret(32, 's');
const ReportClaims kClaims{"agenda-1", 7, "Encode", 2};

std::string token_for(const ReportClaims& claims, const std::string& secret = kSecret) {
  return mint_report_token(report_lease_key(secret, claims.agenda_id, claims.epoch), claims);
}

// The claims segment of `token` replaced by the encoding of `json`, MAC kept.
std::string with_claims_text(const std::string& token, const std::string& json) {
  const auto first = token.find('.');
  const auto last = token.rfind('.');
  return token.substr(0, first + 1) + base64url_encode(json) + token.substr(last);
}

TEST(ReportToken, VerifiesWhatItMinted) {
  const std::string token = token_for(kClaims);
  EXPECT_TRUE(token.starts_with("popr1."));
  EXPECT_EQ(verify_report_token(kSecret, token), kClaims);
}

TEST(ReportToken, AnotherSecretForgesNothing) {
  EXPECT_FALSE(verify_report_token(kSecret, token_for(kClaims, std::string(32, 'x'))));
}

TEST(ReportToken, ALeaseKeyOnlyMintsForItsOwnLease) {
  // A puller holds the key of epoch 7 of agenda-1 and tries to reach beyond it.
  const std::string key = report_lease_key(kSecret, "agenda-1", 7);
  EXPECT_TRUE(verify_report_token(kSecret, mint_report_token(key, kClaims)));
  ReportClaims other_epoch = kClaims;
  other_epoch.epoch = 8;
  EXPECT_FALSE(verify_report_token(kSecret, mint_report_token(key, other_epoch)));
  ReportClaims other_agenda = kClaims;
  other_agenda.agenda_id = "agenda-2";
  EXPECT_FALSE(verify_report_token(kSecret, mint_report_token(key, other_agenda)));
}

TEST(ReportToken, AlteredClaimsAreRefused) {
  const std::string token = token_for(kClaims);
  // Each claim changed in turn, the MAC of the original kept.
  EXPECT_FALSE(verify_report_token(
      kSecret, with_claims_text(
                   token, R"({"agenda":"agenda-1","attempt":3,"epoch":7,"operation":"Encode"})")));
  EXPECT_FALSE(verify_report_token(
      kSecret, with_claims_text(
                   token, R"({"agenda":"agenda-1","attempt":2,"epoch":8,"operation":"Encode"})")));
  EXPECT_FALSE(verify_report_token(
      kSecret, with_claims_text(
                   token, R"({"agenda":"agenda-2","attempt":2,"epoch":7,"operation":"Encode"})")));
  EXPECT_FALSE(verify_report_token(
      kSecret, with_claims_text(
                   token, R"({"agenda":"agenda-1","attempt":2,"epoch":7,"operation":"Upload"})")));
}

TEST(ReportToken, TheMacOfOneOperationDoesNotFitAnother) {
  ReportClaims upload = kClaims;
  upload.operation = "Upload";
  const std::string encode_token = token_for(kClaims);
  const std::string upload_token = token_for(upload);
  const std::string spliced = encode_token.substr(0, encode_token.rfind('.')) +
                              upload_token.substr(upload_token.rfind('.'));
  EXPECT_FALSE(verify_report_token(kSecret, spliced));
}

TEST(ReportToken, TruncatedOrMalformedTokensAreRefused) {
  const std::string token = token_for(kClaims);
  for (std::size_t length = 0; length < token.size(); ++length)
    EXPECT_FALSE(verify_report_token(kSecret, token.substr(0, length))) << length;
  EXPECT_FALSE(verify_report_token(kSecret, token + "A"));
  EXPECT_FALSE(verify_report_token(kSecret, "popr2" + token.substr(5)));
  EXPECT_FALSE(verify_report_token(kSecret, "Bearer " + token));
  EXPECT_FALSE(verify_report_token(kSecret, "popr1.."));
  EXPECT_FALSE(verify_report_token(kSecret, std::string(5000, 'a')));
}

TEST(ReportToken, ClaimsMustHaveTheMintedShape) {
  // Correctly signed with the lease key, but not claims a puller mints: still refused.
  const std::string key = report_lease_key(kSecret, "agenda-1", 7);
  for (const std::string json :
       {R"({"agenda":"agenda-1","attempt":0,"epoch":7,"operation":"Encode"})",
        R"({"agenda":"agenda-1","attempt":-2,"epoch":7,"operation":"Encode"})",
        R"({"agenda":"agenda-1","attempt":"2","epoch":7,"operation":"Encode"})",
        R"({"agenda":"agenda-1","attempt":2,"epoch":7,"operation":""})",
        R"({"agenda":"agenda-1","attempt":2,"epoch":7,"operation":"Encode","extra":1})",
        R"(["agenda-1",7,"Encode",2])", "not json"}) {
    const std::string signed_part = "popr1." + base64url_encode(json);
    const std::string token = signed_part + "." + base64url_encode(hmac_sha256(key, signed_part));
    EXPECT_FALSE(verify_report_token(kSecret, token)) << json;
  }
  // The same construction with the minted shape passes, so the loop tests the shape alone.
  const std::string json = R"({"agenda":"agenda-1","attempt":2,"epoch":7,"operation":"Encode"})";
  const std::string signed_part = "popr1." + base64url_encode(json);
  EXPECT_EQ(verify_report_token(
                kSecret, signed_part + "." + base64url_encode(hmac_sha256(key, signed_part))),
            kClaims);
}

}  // namespace
}  // namespace pop
