#include "auth/jwt_key.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

namespace pop::auth {
namespace {

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

bool is_p256(EVP_PKEY* pkey) {
  char group[64];
  std::size_t length = 0;
  if (EVP_PKEY_get_group_name(pkey, group, sizeof group, &length) != 1) return false;
  return OBJ_txt2nid(group) == NID_X9_62_prime256v1 ||
         EC_curve_nist2nid(group) == NID_X9_62_prime256v1;
}

bool passes_public_check(EVP_PKEY* pkey) {
  PkeyCtxPtr context(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  return context && EVP_PKEY_public_check(context.get()) == 1;
}

// JWS carries r and s as fixed-width big-endian integers; OpenSSL verifies the DER
// SEQUENCE of two INTEGERs.
std::optional<std::string> es256_signature_der(std::string_view raw) {
  if (raw.size() != 2 * kP256CoordinateBytes) return std::nullopt;
  EcdsaSigPtr signature(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes_of(raw), kP256CoordinateBytes, nullptr);
  BIGNUM* s = BN_bin2bn(bytes_of(raw) + kP256CoordinateBytes, kP256CoordinateBytes, nullptr);
  if (!signature || r == nullptr || s == nullptr || ECDSA_SIG_set0(signature.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  const int length = i2d_ECDSA_SIG(signature.get(), nullptr);
  if (length <= 0) return std::nullopt;
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(signature.get(), &out) != length) return std::nullopt;
  return der;
}

}  // namespace

const char* jwt_algorithm(JwtKeyType type) {
  switch (type) {
    case JwtKeyType::kRsa:
      return "RS256";
    case JwtKeyType::kEcP256:
      return "ES256";
  }
  return "unknown";
}

Result<JwtKey> make_jwt_key(PkeyPtr owned, std::string kid, const std::string& source) {
  EVP_PKEY* pkey = owned.get();
  JwtKey key;
  key.pkey = std::move(owned);
  key.kid = std::move(kid);
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    key.type = JwtKeyType::kRsa;
    const int bits = EVP_PKEY_get_bits(pkey);
    if (bits < kMinJwtRsaBits)
      return fail(ErrorCode::kInvalidArgument,
                  source + ": the RSA key has " + std::to_string(bits) + " bits, at least " +
                      std::to_string(kMinJwtRsaBits) + " are required");
  } else if (EVP_PKEY_is_a(pkey, "EC")) {
    key.type = JwtKeyType::kEcP256;
    if (!is_p256(pkey))
      return fail(ErrorCode::kInvalidArgument, source + ": the EC key is not on the P-256 curve");
  } else {
    return fail(ErrorCode::kInvalidArgument,
                source + ": the key is neither an RSA nor an EC P-256 public key");
  }
  if (!passes_public_check(pkey)) {
    ERR_clear_error();
    return fail(ErrorCode::kInvalidArgument, source + ": the public key is not valid");
  }
  return key;
}

Result<std::string> read_jwt_key_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return fail(ErrorCode::kInvalidArgument,
                "cannot read the JWT key file " + path + ": " + std::strerror(errno));
  std::string text;
  char buffer[4096];
  while (file.read(buffer, sizeof buffer) || file.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(file.gcount()));
    if (text.size() > kMaxJwtKeyFileBytes)
      return fail(ErrorCode::kInvalidArgument, "the JWT key file " + path + " is larger than " +
                                                   std::to_string(kMaxJwtKeyFileBytes) + " bytes");
  }
  if (file.bad()) return fail(ErrorCode::kInvalidArgument, "cannot read the JWT key file " + path);
  return text;
}

Result<JwtKey> load_pem_public_key(const std::string& path) {
  auto text = read_jwt_key_file(path);
  if (!text) return fail(text.error());
  BioPtr bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  PkeyPtr pkey(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!pkey) {
    ERR_clear_error();
    return fail(
        ErrorCode::kInvalidArgument,
        "the JWT key file " + path + " holds no PEM public key (\"-----BEGIN PUBLIC KEY-----\")");
  }
  return make_jwt_key(std::move(pkey), "", "the JWT key file " + path);
}

bool verify_jwt_signature(const JwtKey& key, std::string_view signing_input,
                          std::string_view signature) {
  std::optional<std::string> der;
  if (key.type == JwtKeyType::kEcP256) {
    der = es256_signature_der(signature);
    if (!der) return false;
    signature = *der;
  }
  MdCtxPtr context(EVP_MD_CTX_new());
  const bool verified =
      context &&
      EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key.pkey.get()) == 1 &&
      EVP_DigestVerify(context.get(), bytes_of(signature), signature.size(),
                       bytes_of(signing_input), signing_input.size()) == 1;
  // A failed verification leaves reasons on this thread's error queue; nobody reads them.
  if (!verified) ERR_clear_error();
  return verified;
}

}  // namespace pop::auth
