// Bearer JWTs (RFC 7519) issued by an identity provider the deployment trusts: a token signed
// with a configured key, current, from the configured issuer for the configured audience,
// stands for an admin or a member of the customer accounts its claims name.
//
// A token is of this kind when it has the shape of a compact JWS (RFC 7515 §7.1): three
// base64url segments joined by '.', the first decoding to a JSON object ("{..."). Other
// dotted tokens (report tokens, "popr1.<claims>.<mac>") are left to their authenticators.
//
// The algorithm is bound to the key, never chosen by the token alone: HS256 is checked only
// with hs256_secret, RS256 only with RSA keys, ES256 only with EC P-256 keys; "none" and
// every other algorithm are refused, as are headers with "crit" extensions.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "auth/authenticator.h"
#include "auth/jwt_claims.h"
#include "auth/jwt_key.h"
#include "util/clock.h"

namespace pop::auth {

struct JwtOptions {
  // Keys; at least one of the three must be configured.
  std::string hs256_secret;  // HS256 shared secret, at least 32 bytes; empty: HS256 refused
  std::vector<std::string> public_key_files;  // PEM "BEGIN PUBLIC KEY": RSA (RS256), P-256 (ES256)
  std::string jwks_file;                      // a JWKS document (see auth/jwks.h)

  // Registered claims: "exp" is always required.
  std::string issuer;               // when not empty, "iss" must equal it
  std::string audience;             // when not empty, "aud" (a string or an array) must contain it
  std::chrono::seconds leeway{30};  // clock skew allowed for "exp", "nbf" and "iat"
  const Clock* clock = &system_clock();  // borrowed: the time tokens are checked at

  // Where the roles and customer accounts are: a top-level claim name, or a JSON pointer
  // when it starts with '/' (see jwt_claim_pointer). Each claim is a string or an array of
  // strings. A token whose roles contain admin_role makes an admin; any other a member of
  // its customer accounts, and a token with none is refused.
  std::string customers_claim = "customers";
  std::string roles_claim = "roles";
  std::string admin_role = "pop-admin";  // empty: no token makes an admin
};

class JwtAuthenticator final : public Authenticator {
 public:
  // Loads the keys and checks the options. kInvalidArgument naming the file or the option
  // at fault: no key configured, a short secret, an unreadable or invalid key file or JWKS,
  // a negative leeway, a malformed claim pointer.
  static Result<std::unique_ptr<JwtAuthenticator>> create(JwtOptions options);

  // nullopt for a token that is not a JWT (see above). Otherwise the principal its claims
  // make (jwt_principal), or kUnauthenticated saying why it does not hold: too long, a
  // malformed segment, a refused or unconfigured algorithm, an unknown "kid", a signature
  // that does not verify, or a claim that does not hold. Messages never quote the token.
  // "kid", when present, narrows the keys tried to the JWKS keys of that kid and the keys
  // without one (PEM keys); without it every key of the algorithm's type is tried.
  // Thread-safe.
  Result<std::optional<Principal>> authenticate(std::string_view token) const override;

 private:
  JwtAuthenticator(std::string hs256_secret, std::vector<JwtKey> keys, JwtClaimRules rules,
                   const Clock& clock);

  // `signature` decoded; `signing_input` the first two segments as sent.
  Result<void> check_signature(const nlohmann::json& header, std::string_view signing_input,
                               std::string_view signature) const;
  Result<void> check_key_signature(JwtKeyType type, const nlohmann::json& header,
                                   std::string_view signing_input,
                                   std::string_view signature) const;

  const std::string hs256_secret_;
  const std::vector<JwtKey> keys_;
  const JwtClaimRules rules_;
  const Clock& clock_;
};

}  // namespace pop::auth
