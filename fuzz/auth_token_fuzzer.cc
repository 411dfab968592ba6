// Bearer credentials as a request brings them: the Authorization header (auth/authenticator.h),
// API tokens (auth/api_token.h), JWTs (auth/jwt_authenticator.h, with an HS256 secret and a
// JWKS holding an RSA and an EC P-256 key) and operation report tokens
// (model/report_token.h).
//
// Two kinds of input:
//   - without NUL: an Authorization header value; when it is not "Bearer <token>", the whole
//     input is tried as the token;
//   - "HEADER\0CLAIMS" (JSON texts, encoded as written): a JWT signed here as its "alg" says
//     (HS256 with the secret, RS256 and ES256 with the JWKS keys, anything else unsigned),
//     so that the claim checks behind the signature are reached; with HEADER "popr1", a
//     report token made with the lease key of the agenda and epoch CLAIMS names.
//
// Beyond not crashing: refusals never quote the token; a JWT principal is named "jwt:..." and
// a member's customers are sorted, unique and not empty; report token claims that verify
// verify again when minted anew.
#include <algorithm>
#include <chrono>

#include "auth/api_token.h"
#include "auth/jwt_authenticator.h"
#include "fuzz_support.h"
#include "model/report_token.h"
#include "testing/jwt_minter.h"
#include "util/base64url.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/temp_dir.h"

using Json = nlohmann::json;

namespace {

using namespace std::chrono_literals;

constexpr std::string_view kHs256Secret = "fuzz-hs256-secret-of-at-least-32-bytes";
constexpr std::string_view kReportSecret = "fuzz-report-secret";

struct Keys {
  pop::testing::PemKeyPair rsa = pop::testing::generate_rsa_key_pair();
  pop::testing::PemKeyPair ec = pop::testing::generate_ec_key_pair();
  // 2030-01-01T00:00:00Z: tokens in the corpus say when they are valid relative to it.
  pop::ManualClock clock{pop::WallTime(std::chrono::seconds(1893456000))};
  std::unique_ptr<pop::auth::JwtAuthenticator> jwt;

  Keys() {
    auto directory = pop::TempDir::create("pop-fuzz-jwt-");
    POP_FUZZ_CHECK(directory.has_value());
    pop::auth::JwtOptions options;
    options.hs256_secret = std::string(kHs256Secret);
    options.jwks_file =
        pop::testing::write_jwks_file(directory->path(), "jwks.json",
                                      {pop::testing::public_jwk(rsa.public_pem, "rsa-1"),
                                       pop::testing::public_jwk(ec.public_pem, "ec-1")});
    options.issuer = "https://issuer.example";
    options.audience = "pop";
    options.roles_claim = "/realm_access/roles";
    options.clock = &clock;
    auto created = pop::auth::JwtAuthenticator::create(std::move(options));
    POP_FUZZ_CHECK(created.has_value());
    jwt = std::move(*created);
  }
};

const Keys& keys() {
  static const Keys instance;
  return instance;
}

void check_principal(const pop::auth::Principal& principal) {
  POP_FUZZ_CHECK(principal.name.starts_with("jwt:"));
  if (principal.role == pop::auth::Role::kAdmin) return;
  POP_FUZZ_CHECK(principal.role == pop::auth::Role::kMember);
  const auto& customers = principal.customer_ids;
  POP_FUZZ_CHECK(!customers.empty());
  POP_FUZZ_CHECK(std::is_sorted(customers.begin(), customers.end()));
  POP_FUZZ_CHECK(std::adjacent_find(customers.begin(), customers.end()) == customers.end());
}

void authenticate(std::string_view token) {
  (void)pop::auth::parse_api_token(token);
  const auto principal = keys().jwt->authenticate(token);
  if (!principal) {
    POP_FUZZ_CHECK(principal.error().code == pop::ErrorCode::kUnauthenticated);
    // Long enough not to occur in a message by chance.
    if (token.size() >= 12)
      POP_FUZZ_CHECK(principal.error().message.find(token) == std::string::npos);
    return;
  }
  if (*principal) check_principal(**principal);
}

std::string jwt_signature(std::string_view header_text, std::string_view signing_input) {
  const Json header = Json::parse(header_text, nullptr, false);
  const Json alg = header.is_object() ? header.value("alg", Json()) : Json();
  if (alg == "HS256") return pop::hmac_sha256(kHs256Secret, signing_input);
  const std::string* pem = alg == "RS256"   ? &keys().rsa.private_pem
                           : alg == "ES256" ? &keys().ec.private_pem
                                            : nullptr;
  if (pem == nullptr) return {};
  const auto key = pop::testing::jwt_minter_detail::read_pem(*pem, true);
  return pop::testing::jwt_minter_detail::sign_sha256(key.get(), signing_input);
}

void check_report_token(std::string_view claims_text) {
  const Json claims = Json::parse(claims_text, nullptr, false);
  const Json agenda = claims.is_object() ? claims.value("agenda", Json()) : Json();
  const Json epoch = claims.is_object() ? claims.value("epoch", Json()) : Json();
  const std::string lease_key =
      pop::report_lease_key(kReportSecret, agenda.is_string() ? agenda.get<std::string>() : "",
                            epoch.is_number_unsigned() ? epoch.get<std::uint64_t>() : 0);
  const std::string signed_part = "popr1." + pop::base64url_encode(claims_text);
  const std::string token =
      signed_part + "." + pop::base64url_encode(pop::hmac_sha256(lease_key, signed_part));
  const auto verified = pop::verify_report_token(kReportSecret, token);
  if (!verified) return;
  const auto again =
      pop::verify_report_token(kReportSecret, pop::mint_report_token(lease_key, *verified));
  POP_FUZZ_CHECK(again.has_value() && *again == *verified);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)keys();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = pop::fuzz::as_text(data, size);
  if (input.find('\0') == std::string_view::npos) {
    const auto token = pop::auth::bearer_token(input);
    authenticate(token ? *token : input);
    return 0;
  }
  const auto parts = pop::fuzz::split_input(input, 2);
  if (parts[0] == "popr1") {
    check_report_token(parts[1]);
    return 0;
  }
  const std::string signing_input =
      pop::base64url_encode(parts[0]) + "." + pop::base64url_encode(parts[1]);
  authenticate(signing_input + "." + pop::base64url_encode(jwt_signature(parts[0], signing_input)));
  return 0;
}
