// JSON Web Key Sets (RFC 7517 §5), as identity providers publish them: the signature keys a
// JWT authenticator trusts, each optionally named by a "kid" that tokens refer to.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt_key.h"
#include "util/result.h"

namespace pop::auth {

// The usable keys of a JWKS document: kty "RSA" (n, e) and kty "EC" with crv "P-256" (x, y).
// Keys that cannot sign JWTs this server accepts are skipped, as a provider's set may hold
// them: "use" other than "sig", other key types or curves, an "alg" other than RS256 (RSA)
// or ES256 (EC). kInvalidArgument, naming `source` and the key's index, for a document that
// is not a JWKS, a key of a usable type that is malformed or invalid, a repeated kid, or a
// set with no usable key at all.
Result<std::vector<JwtKey>> parse_jwks(std::string_view text, const std::string& source);

// parse_jwks on the contents of the file at `path` (read_jwt_key_file).
Result<std::vector<JwtKey>> load_jwks_file(const std::string& path);

}  // namespace pop::auth
