// What a JWT's claims (RFC 7519 §4) must say once its signature holds, and the principal
// they make: the registered time, issuer and audience claims are checked, then the roles
// and customer accounts are read from the claims a deployment names.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "auth/principal.h"
#include "util/result.h"

namespace pop::auth {

struct JwtClaimRules {
  std::string issuer;    // "iss" must equal it when not empty
  std::string audience;  // "aud" (a string or an array) must contain it when not empty
  std::chrono::seconds leeway{0};
  nlohmann::json::json_pointer customers;  // where the customer accounts are
  nlohmann::json::json_pointer roles;      // where the roles are
  std::string admin_role;                  // the role that makes an admin; empty: none does
};

// Where the claim named `claim` is: `claim` itself as a JSON pointer (RFC 6901) when it starts
// with '/', so that nested and namespaced claims can be reached ("/realm_access/roles",
// "/https:~1~1pop.example~1customers"), else the top-level claim of that name.
// kInvalidArgument for an empty name or a malformed pointer.
Result<nlohmann::json::json_pointer> jwt_claim_pointer(std::string_view claim);

// A JWT refused: kUnauthenticated with `reason`.
tl::unexpected<Error> jwt_refusal(std::string reason);

// The principal that `claims` (a verified JWT's payload) make at time `now`:
//   - "exp" is required; "exp", "nbf" and "iat" are NumericDates checked with rules.leeway;
//   - "iss" and "aud" as JwtClaimRules says; "sub" is required;
//   - an admin when the roles contain rules.admin_role, else a member of the customers
//     (both claims a string or an array of strings);
//   - named "jwt:<iss>/<sub>".
// kUnauthenticated saying which claim does not hold.
Result<Principal> jwt_principal(const nlohmann::json& claims, const JwtClaimRules& rules,
                                std::chrono::system_clock::time_point now);

}  // namespace pop::auth
