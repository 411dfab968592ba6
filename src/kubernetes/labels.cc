#include "kubernetes/labels.h"

#include <cctype>

#include "util/crypto.h"

namespace pop::kubernetes {
namespace {

constexpr std::size_t kHashHexDigits = 8;

bool is_alphanumeric(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_label_character(char c) { return is_alphanumeric(c) || c == '-' || c == '_' || c == '.'; }

std::string short_hash(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string digest = sha256(value);
  std::string hex;
  for (std::size_t i = 0; hex.size() < kHashHexDigits; ++i) {
    const auto byte = static_cast<unsigned char>(digest[i]);
    hex += kHex[byte >> 4];
    hex += kHex[byte & 0xf];
  }
  return hex;
}

std::string trim_to_alphanumeric(std::string text) {
  while (!text.empty() && !is_alphanumeric(text.back())) text.pop_back();
  std::size_t first = 0;
  while (first < text.size() && !is_alphanumeric(text[first])) ++first;
  return text.substr(first);
}

}  // namespace

bool is_valid_label_value(std::string_view value) {
  if (value.empty()) return true;
  if (value.size() > kMaxLabelValueBytes) return false;
  if (!is_alphanumeric(value.front()) || !is_alphanumeric(value.back())) return false;
  for (char c : value) {
    if (!is_label_character(c)) return false;
  }
  return true;
}

std::string label_value(std::string_view value) {
  if (is_valid_label_value(value)) return std::string(value);
  std::string kept;
  for (char c : value) kept += is_label_character(c) ? c : '_';
  kept = trim_to_alphanumeric(std::move(kept));
  const std::size_t room = kMaxLabelValueBytes - kHashHexDigits - 1;
  if (kept.size() > room) kept = trim_to_alphanumeric(kept.substr(0, room));
  const std::string hash = short_hash(value);
  return kept.empty() ? hash : kept + "-" + hash;
}

std::string dns_label_part(std::string_view text, std::size_t max_bytes) {
  std::string out;
  bool dash_pending = false;
  for (char c : text) {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9')) {
      if (dash_pending && !out.empty()) out += '-';
      dash_pending = false;
      out += lower;
    } else {
      dash_pending = true;
    }
    if (out.size() >= max_bytes) break;
  }
  if (out.size() > max_bytes) out.resize(max_bytes);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::string selector(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  std::string text;
  for (const auto& [key, value] : pairs) {
    if (!text.empty()) text += ',';
    text += key;
    text += '=';
    text += value;
  }
  return text;
}

}  // namespace pop::kubernetes
