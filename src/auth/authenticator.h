// The authorizer: turns the bearer token of a request into a Principal. Several kinds of
// credential are accepted side by side (API tokens, JWTs, operation report tokens); each
// implementation recognises its own kind by the token's shape and leaves the others alone,
// and an AuthenticatorChain asks them in turn.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "auth/principal.h"
#include "util/result.h"

namespace pop::auth {

class Authenticator {
 public:
  virtual ~Authenticator() = default;

  // nullopt when `token` is not of this authenticator's kind. Otherwise the principal, or
  // kUnauthenticated whose message says why the token does not hold (expired, revoked, bad
  // signature, ...) without quoting it; kUnavailable when what the check needs (the store)
  // cannot be read. Thread-safe.
  virtual Result<std::optional<Principal>> authenticate(std::string_view token) const = 0;
};

class AuthenticatorChain final : public Authenticator {
 public:
  // Borrows `authenticator`, which must outlive the chain; asked after those added before.
  void add(const Authenticator& authenticator);

  // The first answer that is not nullopt; kUnauthenticated when no authenticator knows the
  // token's kind.
  Result<std::optional<Principal>> authenticate(std::string_view token) const override;

 private:
  std::vector<const Authenticator*> authenticators_;
};

// The token of an "Authorization: Bearer <token>" header value (the scheme is
// case-insensitive); kUnauthenticated naming what is wrong with the header otherwise.
Result<std::string_view> bearer_token(std::optional<std::string_view> authorization);

// Longer tokens are refused before any parsing.
inline constexpr std::size_t kMaxBearerTokenBytes = 8192;

}  // namespace pop::auth
