// The text form of API tokens: "pop_" <id> "_" <secret>, where the id (16 lowercase hex
// digits, 64 random bits) is public — it names the token in listings, logs and the audit
// log, and is how the server finds the stored record — and the secret is 256 random bits in
// base64url. The server keeps only SHA-256 of the secret: a copy of the store lets nobody
// act as a token's holder, and since the secret is uniformly random a slow password hash
// would add nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace pop::auth {

inline constexpr std::string_view kApiTokenPrefix = "pop_";

struct ApiTokenParts {
  std::string id;
  std::string secret;  // raw bytes
};

// A new token from the CSPRNG: its parts and its text. kUnavailable when the CSPRNG fails.
struct MintedApiToken {
  ApiTokenParts parts;
  std::string text;
};
Result<MintedApiToken> mint_api_token();

// The parts of a token in text form; nullopt for anything else, including a token that
// starts with kApiTokenPrefix but is malformed (the caller says so).
std::optional<ApiTokenParts> parse_api_token(std::string_view text);

// What the store keeps of a secret: SHA-256, lowercase hex.
std::string api_token_secret_hash(std::string_view secret);

}  // namespace pop::auth
