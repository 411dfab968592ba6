// JSON Web Key Sets (auth/jwks.h) as an identity provider publishes them, and a signature
// check with every key they yield (auth/jwt_key.h).
//
// Beyond not crashing: every key has an OpenSSL key, no kid repeats, and a signature that
// was never made does not verify.
#include <set>

#include "auth/jwks.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto keys = pop::auth::parse_jwks(pop::fuzz::as_text(data, size), "fuzz");
  if (!keys) {
    POP_FUZZ_CHECK(keys.error().code == pop::ErrorCode::kInvalidArgument);
    return 0;
  }
  POP_FUZZ_CHECK(!keys->empty());
  std::set<std::string> kids;
  for (const pop::auth::JwtKey& key : *keys) {
    POP_FUZZ_CHECK(key.pkey != nullptr);
    if (!key.kid.empty()) POP_FUZZ_CHECK(kids.insert(key.kid).second);
    const std::string forged(key.type == pop::auth::JwtKeyType::kEcP256 ? 64 : 256, '\x01');
    POP_FUZZ_CHECK(!pop::auth::verify_jwt_signature(key, "e30.e30", forged));
  }
  return 0;
}
