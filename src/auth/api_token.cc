#include "auth/api_token.h"

#include "util/base64url.h"
#include "util/crypto.h"

namespace pop::auth {
namespace {

constexpr std::size_t kIdBytes = 8;
constexpr std::size_t kSecretBytes = 32;

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size() * 2);
  for (unsigned char byte : bytes) {
    text.push_back(kDigits[byte >> 4]);
    text.push_back(kDigits[byte & 0xf]);
  }
  return text;
}

}  // namespace

Result<MintedApiToken> mint_api_token() {
  auto id = random_bytes(kIdBytes);
  if (!id) return fail(id.error());
  auto secret = random_bytes(kSecretBytes);
  if (!secret) return fail(secret.error());
  MintedApiToken token{{hex(*id), std::move(*secret)}, {}};
  token.text =
      std::string(kApiTokenPrefix) + token.parts.id + "_" + base64url_encode(token.parts.secret);
  return token;
}

std::optional<ApiTokenParts> parse_api_token(std::string_view text) {
  if (!text.starts_with(kApiTokenPrefix)) return std::nullopt;
  text.remove_prefix(kApiTokenPrefix.size());
  const std::size_t id_length = kIdBytes * 2;
  if (text.size() <= id_length || text[id_length] != '_') return std::nullopt;
  const std::string_view id = text.substr(0, id_length);
  if (id.find_first_not_of("0123456789abcdef") != std::string_view::npos) return std::nullopt;
  auto secret = base64url_decode(text.substr(id_length + 1));
  if (!secret || secret->size() != kSecretBytes) return std::nullopt;
  return ApiTokenParts{std::string(id), std::move(*secret)};
}

std::string api_token_secret_hash(std::string_view secret) { return hex(sha256(secret)); }

}  // namespace pop::auth
