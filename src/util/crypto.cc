#include "util/crypto.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <climits>

namespace pop {

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::string mac(kSha256Bytes, '\0');
  unsigned int length = 0;
  // HMAC() fails only for an unknown digest or allocation failure; SHA-256 is always built
  // into OpenSSL 3, and a failed allocation would already have ended the process elsewhere.
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       reinterpret_cast<unsigned char*>(mac.data()), &length);
  mac.resize(length);
  return mac;
}

std::string sha256(std::string_view data) {
  std::string digest(kSha256Bytes, '\0');
  // As for HMAC(): SHA-256 cannot be missing from OpenSSL 3.
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

Result<std::string> random_bytes(std::size_t count) {
  if (count > static_cast<std::size_t>(INT_MAX))
    return fail(ErrorCode::kInvalidArgument, "too many random bytes requested");
  std::string bytes(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
    const unsigned long code = ERR_get_error();
    char reason[256];
    ERR_error_string_n(code, reason, sizeof reason);
    return fail(ErrorCode::kUnavailable, std::string("no random bytes: ") + reason);
  }
  return bytes;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace pop
