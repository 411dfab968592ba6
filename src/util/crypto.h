// The few cryptographic primitives POP needs, on OpenSSL: keyed MACs for tokens the server
// verifies without storing them, random keys, and comparisons that leak no timing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "util/result.h"

namespace pop {

inline constexpr std::size_t kSha256Bytes = 32;

// HMAC-SHA256 of `data` under `key`: kSha256Bytes raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

// SHA-256 of `data`: kSha256Bytes raw bytes.
std::string sha256(std::string_view data);

// `count` bytes from OpenSSL's CSPRNG. kUnavailable when it cannot be seeded.
Result<std::string> random_bytes(std::size_t count);

// Equal length and bytes, in time that depends only on the length: for comparing a MAC an
// attacker sent with the one it should be.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace pop
