#include "util/random_id.h"

#include <sys/random.h>

#include <cstdint>
#include <cstdio>
#include <random>

namespace pop {

namespace {

// getrandom() on up to 256 bytes never returns short; the fallback only guards odd kernels.
void fill_random(std::uint8_t* bytes, std::size_t size) {
  if (getrandom(bytes, size, 0) == static_cast<ssize_t>(size)) return;
  std::random_device device;
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(device());
}

}  // namespace

std::uint64_t random_seed() {
  std::uint8_t bytes[8];
  fill_random(bytes, sizeof bytes);
  std::uint64_t seed = 0;
  for (std::uint8_t byte : bytes) seed = (seed << 8) | byte;
  return seed;
}

std::string random_uuid() {
  std::uint8_t bytes[16];
  fill_random(bytes, sizeof bytes);
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return text;
}

}  // namespace pop
