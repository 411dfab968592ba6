// API tokens: issued to admins, customer members and pullers, stored only as a hash (see
// auth/api_token.h), with an expiry and revocation. The service is also the authenticator
// of such tokens.
//
// Who may do what is access/access_policy.h's (check_manage_tokens, check_issue_role,
// check_issue_for, manages_token). A token outside the caller's sight answers kNotFound,
// exactly as a missing one.
//
// A revoked token stays listed (with revokedAt) so that an audit can name it.
//
// Thread-safety: every member may be called concurrently.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "auth/authenticator.h"
#include "store/store.h"
#include "util/clock.h"

namespace pop::service {

using Json = nlohmann::json;

// The public view of a token: {id, role, customerIds, resourcePoolId, description,
// createdBy, createdAt, expiresAt, revokedAt}; never its secret or hash.
struct IssuedToken {
  Json document;
  std::string token;  // the whole token, shown to its creator once
};

struct TokenPage {
  std::vector<Json> items;
  std::optional<std::string> next_cursor;
};

struct NewToken {
  auth::Role role = auth::Role::kMember;
  std::vector<std::string> customer_ids;  // kMember
  std::string resource_pool_id;           // kPuller
  std::string description;
  std::optional<WallTime> expires_at;  // nullopt: never
};

class TokenService final : public auth::Authenticator {
 public:
  // Tokens made through the API expire after this unless the request says otherwise.
  static constexpr std::chrono::hours kDefaultLifetime{24 * 90};

  // Borrows the store, which must outlive the service.
  TokenService(store::Store& store, const Clock& clock);

  // POST /v1/tokens: {"role": "admin"|"member"|"puller", "customerIds": [..],
  // "resourcePoolId": "..", "description": "..", "expiresInSeconds": n | "expiresAt": time}.
  // kInvalidArgument naming the field for a malformed body or an unknown pool; kForbidden
  // for a token the caller may not issue.
  Result<IssuedToken> create(const auth::Principal& caller, const Json& body);

  // Issues a token with no checks of who asks: for the server's own bootstrap token.
  Result<IssuedToken> issue(const NewToken& token, std::string_view created_by);

  Result<TokenPage> list(const auth::Principal& caller, const std::string& cursor,
                         std::size_t limit);
  Result<Json> get(const auth::Principal& caller, std::string_view id);
  // Revoking a revoked token is not an error.
  Result<Json> revoke(const auth::Principal& caller, std::string_view id);

  // Tokens of the "pop_" kind: the principal they were issued for, or kUnauthenticated for
  // one that is malformed, unknown, revoked or expired.
  Result<std::optional<auth::Principal>> authenticate(std::string_view token) const override;

 private:
  // Tokens only an admin may manage: the caller must be an admin, or a member whose
  // accounts include every account of a member token.
  static bool manages(const auth::Principal& caller, const Json& token);
  Result<store::DocumentRecord> visible(const auth::Principal& caller, std::string_view id);

  store::Store& store_;
  const Clock& clock_;
};

}  // namespace pop::service
