#include "auth/jwks.h"

#include <openssl/core_names.h>
#include <openssl/err.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "util/base64url.h"
#include "util/json_limits.h"

namespace pop::auth {
using Json = nlohmann::json;

namespace {

constexpr int kMaxJwksDepth = 16;
// A key set holds a few keys of a dozen fields each.
constexpr std::size_t kMaxJwksValues = 10'000;

// A member that must be a string when present; nullopt when absent.
Result<std::optional<std::string>> optional_string(const Json& jwk, const char* name,
                                                   const std::string& where) {
  const auto member = jwk.find(name);
  if (member == jwk.end()) return std::optional<std::string>();
  if (!member->is_string())
    return fail(ErrorCode::kInvalidArgument, where + ": \"" + name + "\" is not a string");
  return std::optional<std::string>(member->get<std::string>());
}

// A required base64url member, decoded.
Result<std::string> required_bytes(const Json& jwk, const char* name, const std::string& where) {
  auto text = optional_string(jwk, name, where);
  if (!text) return fail(text.error());
  if (!*text) return fail(ErrorCode::kInvalidArgument, where + ": \"" + name + "\" is missing");
  auto bytes = base64url_decode(**text);
  if (!bytes || bytes->empty())
    return fail(ErrorCode::kInvalidArgument,
                where + ": \"" + name + "\" is not unpadded base64url of some bytes");
  return *bytes;
}

Result<PkeyPtr> pkey_from_params(const char* type, ParamBuilderPtr& builder,
                                 const std::string& where) {
  ParamsPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  PkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::kInvalidArgument, where + ": not a valid " + type + " public key");
  }
  return PkeyPtr(pkey);
}

Result<PkeyPtr> rsa_pkey(const Json& jwk, const std::string& where) {
  auto n = required_bytes(jwk, "n", where);
  if (!n) return fail(n.error());
  auto e = required_bytes(jwk, "e", where);
  if (!e) return fail(e.error());
  const auto to_bignum = [](const std::string& bytes) {
    return BignumPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                               static_cast<int>(bytes.size()), nullptr));
  };
  BignumPtr modulus = to_bignum(*n);
  BignumPtr exponent = to_bignum(*e);
  ParamBuilderPtr builder(OSSL_PARAM_BLD_new());
  if (!modulus || !exponent || !builder ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1)
    return fail(ErrorCode::kInvalidArgument, where + ": cannot build the RSA key");
  return pkey_from_params("RSA", builder, where);
}

Result<PkeyPtr> ec_p256_pkey(const Json& jwk, const std::string& where) {
  auto x = required_bytes(jwk, "x", where);
  if (!x) return fail(x.error());
  auto y = required_bytes(jwk, "y", where);
  if (!y) return fail(y.error());
  if (x->size() != kP256CoordinateBytes || y->size() != kP256CoordinateBytes)
    return fail(ErrorCode::kInvalidArgument,
                where + ": \"x\" and \"y\" of a P-256 key must be 32 bytes each");
  // The uncompressed SEC1 point: 0x04 || x || y.
  const std::string point = "\x04" + *x + *y;
  ParamBuilderPtr builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1)
    return fail(ErrorCode::kInvalidArgument, where + ": cannot build the EC key");
  return pkey_from_params("EC", builder, where);
}

// The key type a JWK has when this server can verify JWTs with it; nullopt to skip it.
Result<std::optional<JwtKeyType>> usable_type(const Json& jwk, const std::string& where) {
  auto kty = optional_string(jwk, "kty", where);
  if (!kty) return fail(kty.error());
  if (!*kty) return fail(ErrorCode::kInvalidArgument, where + ": \"kty\" is missing");
  auto use = optional_string(jwk, "use", where);
  if (!use) return fail(use.error());
  auto alg = optional_string(jwk, "alg", where);
  if (!alg) return fail(alg.error());
  auto crv = optional_string(jwk, "crv", where);
  if (!crv) return fail(crv.error());

  std::optional<JwtKeyType> type;
  if (**kty == "RSA") type = JwtKeyType::kRsa;
  if (**kty == "EC" && *crv == "P-256") type = JwtKeyType::kEcP256;
  if (!type || (*use && **use != "sig") || (*alg && **alg != jwt_algorithm(*type)))
    return std::optional<JwtKeyType>();
  return type;
}

}  // namespace

Result<std::vector<JwtKey>> parse_jwks(std::string_view text, const std::string& source) {
  auto document = parse_json_limited(
      text,
      {.max_bytes = kMaxJwtKeyFileBytes, .max_depth = kMaxJwksDepth, .max_values = kMaxJwksValues});
  if (!document)
    return fail(ErrorCode::kInvalidArgument, source + " is not JSON: " + document.error().message);
  const auto keys = document->is_object() ? document->find("keys") : document->end();
  if (!document->is_object() || keys == document->end() || !keys->is_array())
    return fail(ErrorCode::kInvalidArgument, source + " is not a JWKS: it has no \"keys\" array");

  std::vector<JwtKey> usable;
  std::set<std::string> kids;
  for (std::size_t index = 0; index < keys->size(); ++index) {
    const Json& jwk = (*keys)[index];
    const std::string where = source + " key " + std::to_string(index);
    if (!jwk.is_object()) return fail(ErrorCode::kInvalidArgument, where + " is not an object");
    auto type = usable_type(jwk, where);
    if (!type) return fail(type.error());
    if (!*type) continue;
    auto kid = optional_string(jwk, "kid", where);
    if (!kid) return fail(kid.error());
    if (*kid && !kids.insert(**kid).second)
      return fail(ErrorCode::kInvalidArgument, where + " repeats the kid \"" + **kid + "\"");
    auto pkey = **type == JwtKeyType::kRsa ? rsa_pkey(jwk, where) : ec_p256_pkey(jwk, where);
    if (!pkey) return fail(pkey.error());
    auto key = make_jwt_key(std::move(*pkey), kid->value_or(""), where);
    if (!key) return fail(key.error());
    usable.push_back(std::move(*key));
  }
  if (usable.empty())
    return fail(ErrorCode::kInvalidArgument,
                source + " has no RS256 (RSA) or ES256 (EC P-256) signature key");
  return usable;
}

Result<std::vector<JwtKey>> load_jwks_file(const std::string& path) {
  auto text = read_jwt_key_file(path);
  if (!text) return fail(text.error());
  return parse_jwks(*text, "the JWKS file " + path);
}

}  // namespace pop::auth
