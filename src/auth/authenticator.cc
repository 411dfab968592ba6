#include "auth/authenticator.h"

#include <cctype>
#include <string>

namespace pop::auth {

void AuthenticatorChain::add(const Authenticator& authenticator) {
  authenticators_.push_back(&authenticator);
}

Result<std::optional<Principal>> AuthenticatorChain::authenticate(std::string_view token) const {
  for (const Authenticator* authenticator : authenticators_) {
    auto principal = authenticator->authenticate(token);
    if (!principal || *principal) return principal;
  }
  return fail(ErrorCode::kUnauthenticated, "the bearer token is of no kind this server accepts");
}

Result<std::string_view> bearer_token(std::optional<std::string_view> authorization) {
  if (!authorization)
    return fail(ErrorCode::kUnauthenticated, "the request has no Authorization header");
  constexpr std::string_view kScheme = "bearer ";
  std::string_view value = *authorization;
  bool scheme = value.size() > kScheme.size();
  for (std::size_t i = 0; scheme && i < kScheme.size(); ++i)
    scheme = std::tolower(static_cast<unsigned char>(value[i])) == kScheme[i];
  if (!scheme)
    return fail(ErrorCode::kUnauthenticated, "the Authorization header must be \"Bearer <token>\"");
  std::string_view token = value.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty() || token.size() > kMaxBearerTokenBytes ||
      token.find_first_of(" \t,") != std::string_view::npos)
    return fail(ErrorCode::kUnauthenticated, "the bearer token is empty, too long or malformed");
  return token;
}

}  // namespace pop::auth
