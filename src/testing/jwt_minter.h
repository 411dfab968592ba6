// Test support: JWTs as an identity provider issues them, signed with key pairs the test
// generates, and the key files (PEM, JWKS) a JwtAuthenticator is configured with.
// Header-only so it stays out of pop_core. Failures throw std::runtime_error: a test cannot
// go on without its keys.
#pragma once

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt_key.h"
#include "auth/openssl_ptr.h"
#include "util/base64url.h"
#include "util/crypto.h"

namespace pop::testing {

struct PemKeyPair {
  std::string private_pem;  // PKCS #8 "BEGIN PRIVATE KEY", for mint_rs256 and mint_es256
  std::string public_pem;   // "BEGIN PUBLIC KEY", for JwtOptions::public_key_files
};

namespace jwt_minter_detail {

using auth::kP256CoordinateBytes;

[[noreturn]] inline void openssl_failed(const std::string& what) {
  char reason[256] = "no OpenSSL error";
  if (const unsigned long code = ERR_get_error(); code != 0)
    ERR_error_string_n(code, reason, sizeof reason);
  ERR_clear_error();
  throw std::runtime_error(what + ": " + reason);
}

inline std::string written_pem(const std::function<int(BIO*)>& write) {
  auth::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) openssl_failed("cannot write a PEM key");
  char* data = nullptr;
  const long length = BIO_ctrl(bio.get(), BIO_CTRL_INFO, 0, static_cast<void*>(&data));
  return std::string(data, static_cast<std::size_t>(length));
}

inline PemKeyPair pem_pair(auth::PkeyPtr key) {
  if (!key) openssl_failed("cannot generate a key pair");
  return PemKeyPair{written_pem([&](BIO* bio) {
                      return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr,
                                                      nullptr);
                    }),
                    written_pem([&](BIO* bio) { return PEM_write_bio_PUBKEY(bio, key.get()); })};
}

inline auth::PkeyPtr read_pem(const std::string& pem, bool is_private) {
  auth::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  auth::PkeyPtr key(!bio         ? nullptr
                    : is_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                                 : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) openssl_failed("cannot read a PEM key");
  return key;
}

// RFC 7518 §3.4: r and s as fixed-width big-endian integers instead of OpenSSL's DER.
inline std::string jose_ecdsa_signature(const std::string& der) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  auth::EcdsaSigPtr signature(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())));
  if (!signature) openssl_failed("cannot read an ECDSA signature");
  std::string raw(2 * kP256CoordinateBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(signature.get()), out, kP256CoordinateBytes) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(signature.get()), out + kP256CoordinateBytes,
                   kP256CoordinateBytes) < 0)
    openssl_failed("cannot encode an ECDSA signature");
  return raw;
}

// SHA-256 signature by `key` in JWS form: PKCS #1 v1.5 for RSA, r||s for EC.
inline std::string sign_sha256(EVP_PKEY* key, std::string_view input) {
  auth::MdCtxPtr context(EVP_MD_CTX_new());
  std::string signature(static_cast<std::size_t>(EVP_PKEY_get_size(key)), '\0');
  std::size_t length = signature.size();
  if (!context || EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    openssl_failed("cannot sign a JWT");
  signature.resize(length);
  return EVP_PKEY_is_a(key, "EC") ? jose_ecdsa_signature(signature) : signature;
}

inline std::string bignum_bytes(const BIGNUM* number) {
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(number)), '\0');
  BN_bn2bin(number, reinterpret_cast<unsigned char*>(bytes.data()));
  return bytes;
}

inline std::string rsa_parameter(EVP_PKEY* key, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) openssl_failed("cannot read an RSA key");
  const auth::BignumPtr number(raw);
  return base64url_encode(bignum_bytes(number.get()));
}

}  // namespace jwt_minter_detail

inline PemKeyPair generate_rsa_key_pair(unsigned bits = 2048) {
  return jwt_minter_detail::pem_pair(
      auth::PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits))));
}

// `curve` other than P-256 only to test that such keys are refused.
inline PemKeyPair generate_ec_key_pair(const char* curve = "P-256") {
  return jwt_minter_detail::pem_pair(
      auth::PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve)));
}

// "<header>.<claims>.<signature>", each base64url, `sign` applied to the first two.
inline std::string mint_jwt(const nlohmann::json& header, const nlohmann::json& claims,
                            const std::function<std::string(std::string_view)>& sign) {
  const std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  return input + "." + base64url_encode(sign(input));
}

// Signed with `private_key_pem` as its type signs (RS256 for RSA, ES256 for EC) whatever
// `header` says, so tests can lie about the algorithm.
inline std::string mint_signed(const std::string& private_key_pem, const nlohmann::json& header,
                               const nlohmann::json& claims) {
  const auth::PkeyPtr key = jwt_minter_detail::read_pem(private_key_pem, true);
  return mint_jwt(header, claims, [&](std::string_view input) {
    return jwt_minter_detail::sign_sha256(key.get(), input);
  });
}

// `header_extra` is merged into {"alg": "HS256", "typ": "JWT"} and may override either.
inline std::string mint_hs256(std::string_view secret, const nlohmann::json& claims,
                              const nlohmann::json& header_extra = nlohmann::json::object()) {
  nlohmann::json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  header.update(header_extra);
  return mint_jwt(header, claims,
                  [&](std::string_view input) { return hmac_sha256(secret, input); });
}

inline std::string mint_rs256(const std::string& private_key_pem, const nlohmann::json& claims,
                              const std::string& kid = "") {
  nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  return mint_signed(private_key_pem, header, claims);
}

inline std::string mint_es256(const std::string& private_key_pem, const nlohmann::json& claims,
                              const std::string& kid = "") {
  nlohmann::json header = {{"alg", "ES256"}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  return mint_signed(private_key_pem, header, claims);
}

// An unsecured JWT (RFC 7519 §6): empty signature; `alg` to vary the spelling of "none".
inline std::string mint_unsigned(const nlohmann::json& claims, const std::string& alg = "none") {
  return mint_jwt({{"alg", alg}}, claims, [](std::string_view) { return std::string(); });
}

// The JWK of a "BEGIN PUBLIC KEY" PEM (RSA or EC P-256), with "use" and "alg" set.
inline nlohmann::json public_jwk(const std::string& public_pem, const std::string& kid = "") {
  using auth::kP256CoordinateBytes;
  const auth::PkeyPtr key = jwt_minter_detail::read_pem(public_pem, false);
  nlohmann::json jwk;
  if (EVP_PKEY_is_a(key.get(), "RSA")) {
    jwk = {{"kty", "RSA"},
           {"use", "sig"},
           {"alg", "RS256"},
           {"n", jwt_minter_detail::rsa_parameter(key.get(), OSSL_PKEY_PARAM_RSA_N)},
           {"e", jwt_minter_detail::rsa_parameter(key.get(), OSSL_PKEY_PARAM_RSA_E)}};
  } else {
    unsigned char point[1 + 2 * kP256CoordinateBytes];
    std::size_t length = 0;
    if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point,
                                        &length) != 1 ||
        length != sizeof point || point[0] != 0x04)
      jwt_minter_detail::openssl_failed("cannot read an EC P-256 public key");
    const std::string_view coordinates(reinterpret_cast<const char*>(point) + 1,
                                       2 * kP256CoordinateBytes);
    jwk = {{"kty", "EC"},
           {"crv", "P-256"},
           {"use", "sig"},
           {"alg", "ES256"},
           {"x", base64url_encode(coordinates.substr(0, kP256CoordinateBytes))},
           {"y", base64url_encode(coordinates.substr(kP256CoordinateBytes))}};
  }
  if (!kid.empty()) jwk["kid"] = kid;
  return jwk;
}

// Writes `text` to `directory`/`name` and returns the file's path.
inline std::string write_key_file(const std::filesystem::path& directory, const std::string& name,
                                  std::string_view text) {
  const std::filesystem::path path = directory / name;
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  if (!file.flush()) throw std::runtime_error("cannot write " + path.string());
  return path.string();
}

// Writes {"keys": keys} to `directory`/`name` and returns the file's path.
inline std::string write_jwks_file(const std::filesystem::path& directory, const std::string& name,
                                   const std::vector<nlohmann::json>& keys) {
  return write_key_file(directory, name, nlohmann::json{{"keys", keys}}.dump(2));
}

}  // namespace pop::testing
