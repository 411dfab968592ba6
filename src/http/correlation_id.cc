#include "http/correlation_id.h"

#include <cstdint>
#include <random>

namespace pop::http {

bool is_sane_correlation_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxCorrelationIdLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string generate_correlation_id() {
  // One engine per thread: no locking on the request path, and seeding from random_device
  // once per thread keeps ids from different threads and processes apart.
  thread_local std::mt19937_64 engine = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = engine();
    for (int i = 0; i < 16; ++i) {
      id[static_cast<std::size_t>(half * 16 + i)] = kHex[bits & 0xF];
      bits >>= 4;
    }
  }
  return id;
}

std::string correlation_id_for(std::string_view client_value) {
  return is_sane_correlation_id(client_value) ? std::string(client_value)
                                              : generate_correlation_id();
}

}  // namespace pop::http
