// The public keys that JWTs may be signed with, and the check of a signature against one.
// Each key is bound to the one algorithm its type allows (RSA: RS256, EC P-256: ES256), so
// a token's header chooses among the configured keys but never how a key is used: an RSA
// public key is never an HMAC secret (no HS256/RS256 confusion).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "auth/openssl_ptr.h"
#include "util/result.h"

namespace pop::auth {

enum class JwtKeyType { kRsa, kEcP256 };

// The JWS "alg" a key of `type` verifies: "RS256" or "ES256".
const char* jwt_algorithm(JwtKeyType type);

// RSA keys shorter than this are refused when loaded (RFC 7518 §3.3).
inline constexpr int kMinJwtRsaBits = 2048;

// Key files larger than this are refused before parsing.
inline constexpr std::size_t kMaxJwtKeyFileBytes = 1 << 20;

// Both coordinates of a P-256 point, and r and s of an ES256 signature, are this wide.
inline constexpr std::size_t kP256CoordinateBytes = 32;

// An immutable public key. Copies share the OpenSSL key, which may be used from several
// threads at once (each verification has its own context).
struct JwtKey {
  JwtKeyType type = JwtKeyType::kRsa;
  std::string kid;  // the JWKS "kid"; empty for a PEM file's key and a JWK without one
  std::shared_ptr<EVP_PKEY> pkey;
};

// Classifies `pkey` (not null). kInvalidArgument, with `source` (a file name, a JWKS entry)
// in the message, for anything but an RSA key of at least kMinJwtRsaBits or an EC key on
// P-256, or a key that fails OpenSSL's public-key check.
Result<JwtKey> make_jwt_key(PkeyPtr pkey, std::string kid, const std::string& source);

// The one key of a PEM "BEGIN PUBLIC KEY" file (as `openssl pkey -pubout` writes it).
// kInvalidArgument naming the file when it cannot be read, is too large or holds no such key.
Result<JwtKey> load_pem_public_key(const std::string& path);

// The contents of a key file, at most kMaxJwtKeyFileBytes; kInvalidArgument naming the file.
Result<std::string> read_jwt_key_file(const std::string& path);

// Whether `signature` (as JWS carries it: PKCS #1 v1.5 for RS256, the 64-byte r||s of RFC
// 7518 §3.4 for ES256) signs `signing_input` with `key` under SHA-256.
bool verify_jwt_signature(const JwtKey& key, std::string_view signing_input,
                          std::string_view signature);

}  // namespace pop::auth
