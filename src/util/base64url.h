// Base64url (RFC 4648 §5) without padding: the alphabet of tokens and keys that travel in
// URLs, headers and JSON.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pop {

std::string base64url_encode(std::string_view bytes);

// nullopt for anything but the canonical unpadded encoding of some bytes: a character
// outside the alphabet, padding, a length of 1 modulo 4, or non-zero unused trailing bits.
// Strict so that each value has exactly one text form (tokens are compared as text).
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace pop
