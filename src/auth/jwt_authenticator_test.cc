#include "auth/jwt_authenticator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/jwt_minter.h"
#include "util/base64url.h"
#include "util/crypto.h"
#include "util/temp_dir.h"

namespace pop::auth {
using Json = nlohmann::json;

namespace {

using pop::testing::generate_ec_key_pair;
using pop::testing::generate_rsa_key_pair;
using pop::testing::mint_es256;
using pop::testing::mint_hs256;
using pop::testing::mint_jwt;
using pop::testing::mint_rs256;
using pop::testing::mint_signed;
using pop::testing::mint_unsigned;
using pop::testing::PemKeyPair;
using pop::testing::public_jwk;
using pop::testing::write_jwks_file;
using pop::testing::write_key_file;
using ::testing::HasSubstr;

const std::string kSecret = "0123456789abcdef0123456789abcdef";
const std::string kIssuer = "https://idp.example";
const std::chrono::system_clock::time_point kNow{std::chrono::seconds(1'700'000'000)};

long long at(std::chrono::seconds offset) {
  return std::chrono::duration_cast<std::chrono::seconds>(kNow.time_since_epoch() + offset).count();
}

// A member of acme, valid for five more minutes.
Json claims() {
  using namespace std::chrono_literals;
  return {{"iss", kIssuer},  {"sub", "alice"},  {"aud", "pop"},
          {"iat", at(-10s)}, {"exp", at(300s)}, {"customers", {"acme"}}};
}

// Generating RSA keys is slow; every test shares these.
const PemKeyPair& rsa_keys() {
  static const PemKeyPair keys = generate_rsa_key_pair();
  return keys;
}
const PemKeyPair& other_rsa_keys() {
  static const PemKeyPair keys = generate_rsa_key_pair();
  return keys;
}
const PemKeyPair& ec_keys() {
  static const PemKeyPair keys = generate_ec_key_pair();
  return keys;
}

// `token` with the first byte of its decoded signature flipped.
std::string with_flipped_signature(const std::string& token) {
  const std::size_t dot = token.rfind('.');
  std::string signature = base64url_decode(token.substr(dot + 1)).value();
  signature[0] = static_cast<char>(signature[0] ^ 1);
  return token.substr(0, dot + 1) + base64url_encode(signature);
}

class JwtAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("pop-jwt-");
    ASSERT_TRUE(dir.has_value()) << dir.error().message;
    dir_.emplace(std::move(*dir));
  }

  const std::filesystem::path& dir() const { return dir_->path(); }

  ManualClock clock_{kNow};

  JwtOptions options() const {
    JwtOptions options;
    options.issuer = kIssuer;
    options.audience = "pop";
    options.clock = &clock_;
    return options;
  }

  JwtOptions hs256_options() const {
    JwtOptions options = this->options();
    options.hs256_secret = kSecret;
    return options;
  }

  JwtOptions pem_options(const std::vector<const PemKeyPair*>& pairs) const {
    JwtOptions options = this->options();
    for (const PemKeyPair* pair : pairs) {
      const std::string name = "key" + std::to_string(options.public_key_files.size()) + ".pem";
      options.public_key_files.push_back(write_key_file(dir(), name, pair->public_pem));
    }
    return options;
  }

  JwtOptions jwks_options(const std::vector<Json>& keys) const {
    JwtOptions options = this->options();
    options.jwks_file = write_jwks_file(dir(), "jwks.json", keys);
    return options;
  }

  static std::unique_ptr<JwtAuthenticator> make(JwtOptions options) {
    auto authenticator = JwtAuthenticator::create(std::move(options));
    if (!authenticator) {
      ADD_FAILURE() << authenticator.error().message;
      return nullptr;
    }
    return std::move(*authenticator);
  }

  static Principal accepted(const std::unique_ptr<JwtAuthenticator>& authenticator,
                            const std::string& token) {
    if (!authenticator) return {};
    auto principal = authenticator->authenticate(token);
    if (!principal || !*principal) {
      ADD_FAILURE() << (principal ? "not recognised as a JWT" : principal.error().message);
      return {};
    }
    return **principal;
  }

  // The reason `token` is refused, which must not quote it.
  static std::string refused(const std::unique_ptr<JwtAuthenticator>& authenticator,
                             const std::string& token) {
    if (!authenticator) return {};
    auto principal = authenticator->authenticate(token);
    if (principal) {
      ADD_FAILURE() << (*principal ? "accepted as " + (*principal)->name : "not a JWT");
      return {};
    }
    EXPECT_EQ(principal.error().code, ErrorCode::kUnauthenticated);
    for (std::size_t start = 0; start < token.size(); start += 8)
      EXPECT_THAT(principal.error().message, ::testing::Not(HasSubstr(token.substr(start, 8))));
    return principal.error().message;
  }

  static std::string create_error(JwtOptions options) {
    auto authenticator = JwtAuthenticator::create(std::move(options));
    if (authenticator) {
      ADD_FAILURE() << "created";
      return {};
    }
    EXPECT_EQ(authenticator.error().code, ErrorCode::kInvalidArgument);
    return authenticator.error().message;
  }

 private:
  std::optional<TempDir> dir_;
};

TEST_F(JwtAuthenticatorTest, AcceptsHs256AsAMemberOfItsCustomers) {
  Json member = claims();
  member["customers"] = {"zeta", "acme", "zeta"};
  const Principal principal = accepted(make(hs256_options()), mint_hs256(kSecret, member));
  EXPECT_EQ(principal.role, Role::kMember);
  EXPECT_EQ(principal.name, "jwt:https://idp.example/alice");
  EXPECT_EQ(principal.customer_ids, (std::vector<std::string>{"acme", "zeta"}));
}

TEST_F(JwtAuthenticatorTest, AcceptsOneCustomerAsAString) {
  Json member = claims();
  member["customers"] = "acme";
  const Principal principal = accepted(make(hs256_options()), mint_hs256(kSecret, member));
  EXPECT_EQ(principal.customer_ids, std::vector<std::string>{"acme"});
}

TEST_F(JwtAuthenticatorTest, AcceptsRs256FromAPemFileAsAnAdmin) {
  Json admin = claims();
  admin["roles"] = {"viewer", "pop-admin"};
  admin.erase("customers");
  const Principal principal =
      accepted(make(pem_options({&rsa_keys()})), mint_rs256(rsa_keys().private_pem, admin));
  EXPECT_EQ(principal.role, Role::kAdmin);
  EXPECT_EQ(principal.name, "jwt:https://idp.example/alice");
}

TEST_F(JwtAuthenticatorTest, AcceptsEs256FromAPemFile) {
  const Principal principal =
      accepted(make(pem_options({&ec_keys()})), mint_es256(ec_keys().private_pem, claims()));
  EXPECT_EQ(principal.role, Role::kMember);
  EXPECT_EQ(principal.customer_ids, std::vector<std::string>{"acme"});
}

TEST_F(JwtAuthenticatorTest, TriesEveryKeyOfTheTypeWhenTheTokenHasNoKid) {
  auto authenticator = make(pem_options({&rsa_keys(), &ec_keys(), &other_rsa_keys()}));
  EXPECT_EQ(accepted(authenticator, mint_rs256(other_rsa_keys().private_pem, claims())).name,
            "jwt:https://idp.example/alice");
  EXPECT_EQ(accepted(authenticator, mint_rs256(rsa_keys().private_pem, claims())).name,
            "jwt:https://idp.example/alice");
}

TEST_F(JwtAuthenticatorTest, AcceptsRs256AndEs256FromAJwksByKid) {
  auto authenticator = make(jwks_options({public_jwk(rsa_keys().public_pem, "rsa-1"),
                                          public_jwk(other_rsa_keys().public_pem, "rsa-2"),
                                          public_jwk(ec_keys().public_pem, "ec-1")}));
  EXPECT_EQ(accepted(authenticator, mint_rs256(rsa_keys().private_pem, claims(), "rsa-1")).role,
            Role::kMember);
  EXPECT_EQ(
      accepted(authenticator, mint_rs256(other_rsa_keys().private_pem, claims(), "rsa-2")).role,
      Role::kMember);
  EXPECT_EQ(accepted(authenticator, mint_es256(ec_keys().private_pem, claims(), "ec-1")).role,
            Role::kMember);
  EXPECT_EQ(accepted(authenticator, mint_es256(ec_keys().private_pem, claims())).role,
            Role::kMember);
  // The kid selects the key: another key's kid does not verify.
  EXPECT_THAT(refused(authenticator, mint_rs256(rsa_keys().private_pem, claims(), "rsa-2")),
              HasSubstr("the JWT signature does not verify"));
}

TEST_F(JwtAuthenticatorTest, AJwkWithoutKidVerifiesTokensWithAnyKid) {
  auto authenticator = make(jwks_options({public_jwk(ec_keys().public_pem)}));
  EXPECT_EQ(accepted(authenticator, mint_es256(ec_keys().private_pem, claims(), "rotated")).role,
            Role::kMember);
}

TEST_F(JwtAuthenticatorTest, ReadsCustomersAndRolesFromJsonPointers) {
  JwtOptions options = hs256_options();
  options.customers_claim = "/https:~1~1pop.example~1claims/customers";
  options.roles_claim = "/realm_access/roles";
  auto authenticator = make(options);

  Json member = claims();
  member.erase("customers");
  member["https://pop.example/claims"] = {{"customers", {"acme", "globex"}}};
  EXPECT_EQ(accepted(authenticator, mint_hs256(kSecret, member)).customer_ids,
            (std::vector<std::string>{"acme", "globex"}));

  Json admin = member;
  admin["realm_access"] = {{"roles", {"pop-admin"}}};
  EXPECT_EQ(accepted(authenticator, mint_hs256(kSecret, admin)).role, Role::kAdmin);

  // A top-level "customers" claim is not where this deployment keeps them.
  EXPECT_EQ(refused(authenticator, mint_hs256(kSecret, claims())),
            "the token grants no customer account");
}

TEST_F(JwtAuthenticatorTest, ReadsATopLevelClaimOfAnyName) {
  JwtOptions options = hs256_options();
  options.customers_claim = "pop/customers";  // not a pointer: one claim with a slash
  options.admin_role = "superuser";
  Json token_claims = claims();
  token_claims.erase("customers");
  token_claims["pop/customers"] = {"acme"};
  token_claims["roles"] = {"pop-admin"};
  const Principal principal = accepted(make(options), mint_hs256(kSecret, token_claims));
  EXPECT_EQ(principal.role, Role::kMember);
  EXPECT_EQ(principal.customer_ids, std::vector<std::string>{"acme"});
}

TEST_F(JwtAuthenticatorTest, RefusesATokenGrantingNoCustomer) {
  auto authenticator = make(hs256_options());
  Json none = claims();
  none.erase("customers");
  EXPECT_EQ(refused(authenticator, mint_hs256(kSecret, none)),
            "the token grants no customer account");
  none["customers"] = Json::array();
  EXPECT_EQ(refused(authenticator, mint_hs256(kSecret, none)),
            "the token grants no customer account");
  none["customers"] = {"acme", 7};
  EXPECT_THAT(refused(authenticator, mint_hs256(kSecret, none)),
              HasSubstr("is not a string or an array of non-empty strings"));
}

TEST_F(JwtAuthenticatorTest, RefusesExpiredTokensBeyondTheLeeway) {
  using namespace std::chrono_literals;
  auto authenticator = make(hs256_options());
  Json expired = claims();
  expired["exp"] = at(-31s);
  EXPECT_EQ(refused(authenticator, mint_hs256(kSecret, expired)), "the JWT expired");
  expired["exp"] = at(-29s);
  EXPECT_EQ(accepted(authenticator, mint_hs256(kSecret, expired)).role, Role::kMember);
  expired.erase("exp");
  EXPECT_THAT(refused(authenticator, mint_hs256(kSecret, expired)), HasSubstr("no expiry"));
  expired["exp"] = "tomorrow";
  EXPECT_THAT(refused(authenticator, mint_hs256(kSecret, expired)),
              HasSubstr("\"exp\" is not a number"));
}

// The clock is read at each check, not when the authenticator is made.
TEST_F(JwtAuthenticatorTest, AnAcceptedTokenExpiresAsTheClockMoves) {
  using namespace std::chrono_literals;
  auto authenticator = make(hs256_options());
  const std::string token = mint_hs256(kSecret, claims());
  EXPECT_EQ(accepted(authenticator, token).role, Role::kMember);
  clock_.advance(329s);  // the expiry and all but a second of the leeway
  EXPECT_EQ(accepted(authenticator, token).role, Role::kMember);
  clock_.advance(2s);
  EXPECT_EQ(refused(authenticator, token), "the JWT expired");
}

TEST_F(JwtAuthenticatorTest, RefusesTokensNotValidYet) {
  using namespace std::chrono_literals;
  auto authenticator = make(hs256_options());
  Json early = claims();
  early["nbf"] = at(60s);
  EXPECT_THAT(refused(authenticator, mint_hs256(kSecret, early)), HasSubstr("not valid yet"));
  early["nbf"] = at(20s);
  EXPECT_EQ(accepted(authenticator, mint_hs256(kSecret, early)).role, Role::kMember);
  early["iat"] = at(60s);
  EXPECT_THAT(refused(authenticator, mint_hs256(kSecret, early)),
              HasSubstr("issued in the future"));
}

TEST_F(JwtAuthenticatorTest, RefusesAnotherIssuer) {
  auto authenticator = make(hs256_options());
  Json other = claims();
  other["iss"] = "https://evil.example";
  EXPECT_THAT(refused(authenticator, mint_hs256(kSecret, other)), HasSubstr("issuer"));
  other.erase("iss");
  EXPECT_THAT(refused(authenticator, mint_hs256(kSecret, other)), HasSubstr("issuer"));
}

TEST_F(JwtAuthenticatorTest, ChecksTheAudienceAsAStringOrAnArray) {
  auto authenticator = make(hs256_options());
  Json audience = claims();
  audience["aud"] = {"other", "pop"};
  EXPECT_EQ(accepted(authenticator, mint_hs256(kSecret, audience)).role, Role::kMember);
  audience["aud"] = "other";
  EXPECT_THAT(refused(authenticator, mint_hs256(kSecret, audience)), HasSubstr("audience"));
  audience["aud"] = {"other"};
  EXPECT_THAT(refused(authenticator, mint_hs256(kSecret, audience)), HasSubstr("audience"));
  audience.erase("aud");
  EXPECT_THAT(refused(authenticator, mint_hs256(kSecret, audience)), HasSubstr("audience"));
}

TEST_F(JwtAuthenticatorTest, RequiresASubject) {
  Json anonymous = claims();
  anonymous.erase("sub");
  EXPECT_THAT(refused(make(hs256_options()), mint_hs256(kSecret, anonymous)),
              HasSubstr("no subject"));
}

TEST_F(JwtAuthenticatorTest, RefusesAlteredSignaturesAndPayloads) {
  JwtOptions options = pem_options({&rsa_keys(), &ec_keys()});
  options.hs256_secret = kSecret;
  auto authenticator = make(options);
  for (const std::string& token :
       {mint_hs256(kSecret, claims()), mint_rs256(rsa_keys().private_pem, claims()),
        mint_es256(ec_keys().private_pem, claims())}) {
    EXPECT_EQ(refused(authenticator, with_flipped_signature(token)),
              "the JWT signature does not verify");
    Json admin = claims();
    admin["roles"] = {"pop-admin"};
    const std::size_t first = token.find('.');
    const std::size_t second = token.find('.', first + 1);
    const std::string forged =
        token.substr(0, first + 1) + base64url_encode(admin.dump()) + token.substr(second);
    EXPECT_EQ(refused(authenticator, forged), "the JWT signature does not verify");
  }
  EXPECT_EQ(refused(authenticator, mint_hs256(std::string(32, 'x'), claims())),
            "the JWT signature does not verify");
}

TEST_F(JwtAuthenticatorTest, RefusesAnEs256SignatureOfTheWrongLength) {
  std::string token = mint_es256(ec_keys().private_pem, claims());
  token += "AAAA";  // three more bytes
  EXPECT_EQ(refused(make(pem_options({&ec_keys()})), token), "the JWT signature does not verify");
}

TEST_F(JwtAuthenticatorTest, RefusesAlgNoneInAnyCase) {
  JwtOptions options = pem_options({&rsa_keys()});
  options.hs256_secret = kSecret;
  auto authenticator = make(options);
  for (const char* none : {"none", "None", "NONE", "nOnE"})
    EXPECT_EQ(refused(authenticator, mint_unsigned(claims(), none)),
              "the JWT algorithm \"none\" is not accepted");
  // Even with a signature attached.
  EXPECT_EQ(refused(authenticator, mint_hs256(kSecret, claims(), {{"alg", "none"}})),
            "the JWT algorithm \"none\" is not accepted");
}

TEST_F(JwtAuthenticatorTest, RefusesHs256MadeWithTheRsaPublicKey) {
  const std::string confused = mint_hs256(rsa_keys().public_pem, claims());
  EXPECT_EQ(refused(make(pem_options({&rsa_keys()})), confused),
            "the JWT algorithm HS256 is not configured");
  JwtOptions both = pem_options({&rsa_keys()});
  both.hs256_secret = kSecret;
  EXPECT_EQ(refused(make(both), confused), "the JWT signature does not verify");
  // And relabelling an RS256 token as HS256 does not help either.
  Json header = {{"alg", "HS256"}};
  EXPECT_EQ(refused(make(both), mint_signed(rsa_keys().private_pem, header, claims())),
            "the JWT signature does not verify");
}

TEST_F(JwtAuthenticatorTest, RefusesAlgorithmsWithoutAKeyOfTheirType) {
  EXPECT_EQ(refused(make(hs256_options()), mint_rs256(rsa_keys().private_pem, claims())),
            "the JWT algorithm RS256 is not configured");
  EXPECT_EQ(refused(make(pem_options({&rsa_keys()})), mint_es256(ec_keys().private_pem, claims())),
            "the JWT algorithm ES256 is not configured");
  // An EC signature labelled RS256 is checked with the RSA keys only.
  JwtOptions both = pem_options({&rsa_keys(), &ec_keys()});
  EXPECT_EQ(refused(make(both), mint_signed(ec_keys().private_pem, {{"alg", "RS256"}}, claims())),
            "the JWT signature does not verify");
}

TEST_F(JwtAuthenticatorTest, RefusesUnsupportedAlgorithms) {
  auto authenticator = make(hs256_options());
  EXPECT_EQ(refused(authenticator, mint_hs256(kSecret, claims(), {{"alg", "HS512"}})),
            "the JWT algorithm \"HS512\" is not supported");
  EXPECT_EQ(refused(authenticator, mint_hs256(kSecret, claims(), {{"alg", "PS256"}})),
            "the JWT algorithm \"PS256\" is not supported");
  EXPECT_EQ(refused(authenticator, mint_hs256(kSecret, claims(), {{"alg", "hs256"}})),
            "the JWT algorithm \"hs256\" is not supported");
  EXPECT_EQ(refused(authenticator, mint_hs256(kSecret, claims(), {{"alg", "<script> x"}})),
            "the JWT algorithm named in the header is not supported");
  EXPECT_THAT(refused(authenticator, mint_hs256(kSecret, claims(), {{"alg", 256}})),
              HasSubstr("no algorithm"));
  EXPECT_THAT(refused(authenticator, mint_hs256(kSecret, claims(), {{"crit", {"exp"}}})),
              HasSubstr("critical extensions"));
}

TEST_F(JwtAuthenticatorTest, RefusesAnUnknownKid) {
  auto authenticator = make(jwks_options({public_jwk(rsa_keys().public_pem, "rsa-1")}));
  EXPECT_EQ(refused(authenticator, mint_rs256(rsa_keys().private_pem, claims(), "rsa-9")),
            "the JWT key id (\"kid\") names no RS256 key");
  EXPECT_THAT(refused(authenticator, mint_signed(rsa_keys().private_pem,
                                                 {{"alg", "RS256"}, {"kid", 1}}, claims())),
              HasSubstr("is not a string"));
}

TEST_F(JwtAuthenticatorTest, RefusesMalformedSegments) {
  auto authenticator = make(hs256_options());
  const auto sign = [](std::string_view input) { return hmac_sha256(kSecret, input); };
  const std::string header = base64url_encode(R"({"alg":"HS256"})");
  const std::string payload = base64url_encode(claims().dump());
  const auto signed_token = [&](const std::string& head, const std::string& body) {
    return head + "." + body + "." + base64url_encode(sign(head + "." + body));
  };

  EXPECT_EQ(refused(authenticator, signed_token(base64url_encode("{\"alg\": \"HS256\""), payload)),
            "the JWT header is not a JSON object");
  EXPECT_EQ(refused(authenticator, signed_token(header, "A")), "the JWT payload is not base64url");
  EXPECT_EQ(refused(authenticator, signed_token(header, base64url_encode("[1, 2]"))),
            "the JWT payload is not a JSON object");
  EXPECT_EQ(refused(authenticator, signed_token(header, base64url_encode("{\"exp\":"))),
            "the JWT payload is not a JSON object");
  EXPECT_EQ(refused(authenticator, header + "." + payload + ".A"),
            "the JWT signature is not base64url");
  EXPECT_EQ(refused(authenticator, mint_jwt({{"alg", "HS256"}}, claims(), sign) + "BB"),
            "the JWT signature is not base64url");
}

TEST_F(JwtAuthenticatorTest, RefusesOverLongTokens) {
  Json padded = claims();
  padded["padding"] = std::string(kMaxBearerTokenBytes, 'x');
  EXPECT_EQ(refused(make(hs256_options()), mint_hs256(kSecret, padded)),
            "the JWT is longer than 8192 bytes");
}

TEST_F(JwtAuthenticatorTest, LeavesOtherTokensAlone) {
  auto authenticator = make(hs256_options());
  const std::string payload = base64url_encode(claims().dump());
  const std::string object = base64url_encode("{}");
  const std::vector<std::string> tokens = {"pop_abc_def",
                                           "",
                                           "a.b",
                                           "...",
                                           "a.b.c.d",
                                           "abc.d$f.ghi",
                                           "popr1." + payload + ".c2ln",  // a report token's shape
                                           base64url_encode("[1]") + "." + payload + ".",
                                           "." + payload + ".c2ln",
                                           object + "..c2ln",
                                           object + "." + payload + ".c2l=",
                                           object + " ." + payload + ".c2ln"};
  for (const std::string& token : tokens) {
    auto principal = authenticator->authenticate(token);
    ASSERT_TRUE(principal.has_value()) << token << ": " << principal.error().message;
    EXPECT_FALSE(principal->has_value()) << token;
  }
}

TEST_F(JwtAuthenticatorTest, FactoryNeedsAKey) {
  EXPECT_THAT(create_error(options()), HasSubstr("needs an HS256 secret"));
  JwtOptions short_secret = options();
  short_secret.hs256_secret = "secret";
  EXPECT_THAT(create_error(short_secret), HasSubstr("at least 32 bytes"));
}

TEST_F(JwtAuthenticatorTest, FactoryNamesAMissingOrBadKeyFile) {
  JwtOptions missing = options();
  missing.public_key_files = {(dir() / "absent.pem").string()};
  EXPECT_THAT(create_error(missing), HasSubstr("absent.pem"));

  JwtOptions private_key = options();
  private_key.public_key_files = {write_key_file(dir(), "private.pem", rsa_keys().private_pem)};
  EXPECT_THAT(create_error(private_key), HasSubstr("private.pem holds no PEM public key"));

  const PemKeyPair small = generate_rsa_key_pair(1024);
  EXPECT_THAT(create_error(pem_options({&small})), HasSubstr("1024 bits"));
  const PemKeyPair p384 = generate_ec_key_pair("P-384");
  EXPECT_THAT(create_error(pem_options({&p384})), HasSubstr("not on the P-256 curve"));
}

TEST_F(JwtAuthenticatorTest, FactoryNamesABadJwks) {
  JwtOptions missing = options();
  missing.jwks_file = (dir() / "absent.json").string();
  EXPECT_THAT(create_error(missing), HasSubstr("absent.json"));

  JwtOptions not_json = options();
  not_json.jwks_file = write_key_file(dir(), "bad.json", "{\"keys\": [");
  EXPECT_THAT(create_error(not_json), HasSubstr("bad.json is not JSON"));

  EXPECT_THAT(create_error(jwks_options({})), HasSubstr("no RS256 (RSA) or ES256"));
  JwtOptions no_keys = options();
  no_keys.jwks_file = write_key_file(dir(), "keys.json", R"({"key": []})");
  EXPECT_THAT(create_error(no_keys), HasSubstr("has no \"keys\" array"));

  Json rsa = public_jwk(rsa_keys().public_pem, "a");
  rsa.erase("n");
  EXPECT_THAT(create_error(jwks_options({rsa})), HasSubstr("key 0: \"n\" is missing"));

  Json ec = public_jwk(ec_keys().public_pem, "b");
  ec["x"] = base64url_encode("short");
  EXPECT_THAT(create_error(jwks_options({public_jwk(rsa_keys().public_pem), ec})),
              HasSubstr("key 1: \"x\" and \"y\""));
  ec = public_jwk(ec_keys().public_pem, "b");
  std::string y = base64url_decode(ec["y"].get<std::string>()).value();
  y[31] = static_cast<char>(y[31] ^ 1);  // off the curve
  ec["y"] = base64url_encode(y);
  EXPECT_THAT(create_error(jwks_options({ec})), HasSubstr("key 0"));

  EXPECT_THAT(create_error(jwks_options({public_jwk(rsa_keys().public_pem, "same"),
                                         public_jwk(ec_keys().public_pem, "same")})),
              HasSubstr("repeats the kid \"same\""));
}

TEST_F(JwtAuthenticatorTest, JwksSkipsKeysItCannotUse) {
  Json encryption = public_jwk(other_rsa_keys().public_pem, "enc");
  encryption["use"] = "enc";
  Json ps256 = public_jwk(other_rsa_keys().public_pem, "ps");
  ps256["alg"] = "PS256";
  const Json symmetric = {{"kty", "oct"}, {"k", base64url_encode(kSecret)}, {"kid", "oct"}};
  auto authenticator =
      make(jwks_options({encryption, ps256, symmetric, public_jwk(rsa_keys().public_pem, "sig")}));
  EXPECT_EQ(accepted(authenticator, mint_rs256(rsa_keys().private_pem, claims())).role,
            Role::kMember);
  EXPECT_EQ(refused(authenticator, mint_rs256(other_rsa_keys().private_pem, claims(), "enc")),
            "the JWT key id (\"kid\") names no RS256 key");
  // A symmetric JWK never becomes an HS256 key.
  EXPECT_EQ(refused(authenticator, mint_hs256(kSecret, claims(), {{"kid", "oct"}})),
            "the JWT algorithm HS256 is not configured");
}

TEST_F(JwtAuthenticatorTest, FactoryRefusesBadClaimsOptions) {
  JwtOptions pointer = hs256_options();
  pointer.roles_claim = "/bad~pointer";
  EXPECT_THAT(create_error(pointer), HasSubstr("is not a JSON pointer"));
  JwtOptions empty = hs256_options();
  empty.customers_claim = "";
  EXPECT_THAT(create_error(empty), HasSubstr("empty"));
  JwtOptions leeway = hs256_options();
  leeway.leeway = std::chrono::seconds(-1);
  EXPECT_THAT(create_error(leeway), HasSubstr("leeway"));
}

}  // namespace
}  // namespace pop::auth
