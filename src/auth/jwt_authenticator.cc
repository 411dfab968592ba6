#include "auth/jwt_authenticator.h"

#include <algorithm>
#include <cctype>

#include "auth/jwks.h"
#include "util/base64url.h"
#include "util/crypto.h"
#include "util/json_limits.h"

namespace pop::auth {
using Json = nlohmann::json;

namespace {

// RFC 7518 §3.2: an HS256 key must be at least as long as the hash.
constexpr std::size_t kMinHs256SecretBytes = 32;
constexpr int kMaxJwtJsonDepth = 32;
constexpr std::size_t kMaxJwtJsonValues = 1000;

// The segments of a compact JWS, as sent.
struct CompactJws {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  std::string_view signing_input;  // header '.' payload
};

bool is_base64url_text(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
  });
}

// The three segments when `token` has the shape of a compact JWS; the signature may be empty
// (as "none" tokens have it), the header and payload not.
std::optional<CompactJws> split_compact_jws(std::string_view token) {
  const std::size_t first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  CompactJws jws{token.substr(0, first), token.substr(first + 1, second - first - 1),
                 token.substr(second + 1), token.substr(0, second)};
  if (jws.header.empty() || jws.payload.empty() || !is_base64url_text(jws.header) ||
      !is_base64url_text(jws.payload) || !is_base64url_text(jws.signature))
    return std::nullopt;
  return jws;
}

// Whether a decoded header is meant as a JSON object, the mark of a JWT.
bool opens_object(std::string_view text) {
  const std::size_t start = text.find_first_not_of(" \t\r\n");
  return start != std::string_view::npos && text[start] == '{';
}

Result<Json> parse_object(std::string_view text, const char* segment) {
  auto json = parse_json_limited(text, {.max_bytes = kMaxBearerTokenBytes,
                                        .max_depth = kMaxJwtJsonDepth,
                                        .max_values = kMaxJwtJsonValues});
  if (!json || !json->is_object())
    return jwt_refusal(std::string("the JWT ") + segment + " is not a JSON object");
  return std::move(*json);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// `alg` quoted for a message when it looks like an algorithm name, so that a header cannot
// put arbitrary text into logs.
std::string describe_algorithm(std::string_view alg) {
  const bool plain =
      !alg.empty() && alg.size() <= 16 && std::all_of(alg.begin(), alg.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' ||
               c == '+' || c == '.';
      });
  return plain ? "\"" + std::string(alg) + "\"" : "named in the header";
}

}  // namespace

JwtAuthenticator::JwtAuthenticator(std::string hs256_secret, std::vector<JwtKey> keys,
                                   JwtClaimRules rules, const Clock& clock)
    : hs256_secret_(std::move(hs256_secret)),
      keys_(std::move(keys)),
      rules_(std::move(rules)),
      clock_(clock) {}

Result<std::unique_ptr<JwtAuthenticator>> JwtAuthenticator::create(JwtOptions options) {
  if (options.hs256_secret.empty() && options.public_key_files.empty() && options.jwks_file.empty())
    return fail(ErrorCode::kInvalidArgument,
                "JWT authentication needs an HS256 secret, a public key file or a JWKS file");
  if (!options.hs256_secret.empty() && options.hs256_secret.size() < kMinHs256SecretBytes)
    return fail(ErrorCode::kInvalidArgument, "the JWT HS256 secret must be at least " +
                                                 std::to_string(kMinHs256SecretBytes) + " bytes");
  if (options.leeway.count() < 0)
    return fail(ErrorCode::kInvalidArgument, "the JWT leeway must not be negative");

  std::vector<JwtKey> keys;
  for (const std::string& file : options.public_key_files) {
    auto key = load_pem_public_key(file);
    if (!key) return fail(key.error());
    keys.push_back(std::move(*key));
  }
  if (!options.jwks_file.empty()) {
    auto jwks = load_jwks_file(options.jwks_file);
    if (!jwks) return fail(jwks.error());
    keys.insert(keys.end(), jwks->begin(), jwks->end());
  }

  JwtClaimRules rules;
  rules.issuer = std::move(options.issuer);
  rules.audience = std::move(options.audience);
  rules.leeway = options.leeway;
  rules.admin_role = std::move(options.admin_role);
  auto customers = jwt_claim_pointer(options.customers_claim);
  if (!customers) return fail(customers.error());
  rules.customers = std::move(*customers);
  auto roles = jwt_claim_pointer(options.roles_claim);
  if (!roles) return fail(roles.error());
  rules.roles = std::move(*roles);

  return std::unique_ptr<JwtAuthenticator>(new JwtAuthenticator(
      std::move(options.hs256_secret), std::move(keys), std::move(rules), *options.clock));
}

Result<std::optional<Principal>> JwtAuthenticator::authenticate(std::string_view token) const {
  const auto jws = split_compact_jws(token);
  if (!jws) return std::optional<Principal>();
  if (token.size() > kMaxBearerTokenBytes)
    return jwt_refusal("the JWT is longer than " + std::to_string(kMaxBearerTokenBytes) + " bytes");
  const auto header_text = base64url_decode(jws->header);
  if (!header_text || !opens_object(*header_text)) return std::optional<Principal>();

  auto header = parse_object(*header_text, "header");
  if (!header) return fail(header.error());
  const auto signature = base64url_decode(jws->signature);
  if (!signature) return jwt_refusal("the JWT signature is not base64url");
  if (auto verified = check_signature(*header, jws->signing_input, *signature); !verified)
    return fail(verified.error());

  const auto payload_text = base64url_decode(jws->payload);
  if (!payload_text) return jwt_refusal("the JWT payload is not base64url");
  auto claims = parse_object(*payload_text, "payload");
  if (!claims) return fail(claims.error());
  auto principal = jwt_principal(*claims, rules_, clock_.now());
  if (!principal) return fail(principal.error());
  return std::optional<Principal>(std::move(*principal));
}

Result<void> JwtAuthenticator::check_signature(const Json& header, std::string_view signing_input,
                                               std::string_view signature) const {
  const auto alg_member = header.find("alg");
  if (alg_member == header.end() || !alg_member->is_string())
    return jwt_refusal("the JWT header has no algorithm (\"alg\")");
  // RFC 7515 §4.1.11: extensions marked critical must be understood, and none are.
  if (header.contains("crit"))
    return jwt_refusal(
        "the JWT header has critical extensions (\"crit\") this server does not know");
  const std::string& alg = alg_member->get_ref<const std::string&>();
  if (iequals(alg, "none")) return jwt_refusal("the JWT algorithm \"none\" is not accepted");
  if (alg == "HS256") {
    if (hs256_secret_.empty()) return jwt_refusal("the JWT algorithm HS256 is not configured");
    if (!constant_time_equal(hmac_sha256(hs256_secret_, signing_input), signature))
      return jwt_refusal("the JWT signature does not verify");
    return {};
  }
  if (alg == jwt_algorithm(JwtKeyType::kRsa))
    return check_key_signature(JwtKeyType::kRsa, header, signing_input, signature);
  if (alg == jwt_algorithm(JwtKeyType::kEcP256))
    return check_key_signature(JwtKeyType::kEcP256, header, signing_input, signature);
  return jwt_refusal("the JWT algorithm " + describe_algorithm(alg) + " is not supported");
}

Result<void> JwtAuthenticator::check_key_signature(JwtKeyType type, const Json& header,
                                                   std::string_view signing_input,
                                                   std::string_view signature) const {
  const auto kid_member = header.find("kid");
  if (kid_member != header.end() && !kid_member->is_string())
    return jwt_refusal("the JWT key id (\"kid\") is not a string");
  const std::string* kid =
      kid_member == header.end() ? nullptr : &kid_member->get_ref<const std::string&>();
  bool configured = false;
  bool candidate = false;
  for (const JwtKey& key : keys_) {
    if (key.type != type) continue;
    configured = true;
    if (kid != nullptr && !key.kid.empty() && key.kid != *kid) continue;
    candidate = true;
    if (verify_jwt_signature(key, signing_input, signature)) return {};
  }
  const std::string alg = jwt_algorithm(type);
  if (!configured) return jwt_refusal("the JWT algorithm " + alg + " is not configured");
  if (!candidate) return jwt_refusal("the JWT key id (\"kid\") names no " + alg + " key");
  return jwt_refusal("the JWT signature does not verify");
}

}  // namespace pop::auth
