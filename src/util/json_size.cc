#include "util/json_size.h"

#include <algorithm>

namespace pop {
using Json = nlohmann::json;

namespace {

// As nlohmann's serializer escapes with ensure_ascii off: quote, backslash and the control
// characters with a short escape take two bytes, other control characters six (\u00XX),
// everything else (UTF-8 sequences included) is copied.
std::size_t quoted_size(std::string_view text) {
  std::size_t size = 2;
  for (const char c : text) {
    switch (c) {
      case '"':
      case '\\':
      case '\b':
      case '\f':
      case '\n':
      case '\r':
      case '\t':
        size += 2;
        break;
      default:
        size += static_cast<unsigned char>(c) < 0x20 ? 6 : 1;
    }
  }
  return size;
}

std::size_t digits(std::uint64_t magnitude) {
  std::size_t count = 1;
  while (magnitude >= 10) {
    magnitude /= 10;
    ++count;
  }
  return count;
}

// `depth`: of the containers around `value`.
void measure(const Json& value, int depth, JsonSize& size) {
  ++size.values;
  switch (value.type()) {
    case Json::value_t::object: {
      size.depth = std::max(size.depth, depth + 1);
      size.bytes += value.empty() ? 2 : 1 + value.size();  // braces and commas
      for (const auto& [key, item] : value.items()) {
        size.bytes += quoted_size(key) + 1;  // and the colon
        measure(item, depth + 1, size);
      }
      return;
    }
    case Json::value_t::array:
      size.depth = std::max(size.depth, depth + 1);
      size.bytes += value.empty() ? 2 : 1 + value.size();
      for (const Json& item : value) measure(item, depth + 1, size);
      return;
    case Json::value_t::string:
      size.bytes += quoted_size(value.get_ref<const Json::string_t&>());
      return;
    case Json::value_t::number_unsigned:
      size.bytes += digits(value.get<std::uint64_t>());
      return;
    case Json::value_t::number_integer: {
      const std::int64_t number = value.get<std::int64_t>();
      // Negated as unsigned, so that the smallest int64 does not overflow.
      const std::uint64_t magnitude =
          number < 0 ? 0 - static_cast<std::uint64_t>(number) : static_cast<std::uint64_t>(number);
      size.bytes += digits(magnitude) + (number < 0 ? 1 : 0);
      return;
    }
    case Json::value_t::boolean:
      size.bytes += value.get<bool>() ? 4 : 5;
      return;
    case Json::value_t::null:
    case Json::value_t::discarded:
      size.bytes += 4;
      return;
    case Json::value_t::number_float:
    case Json::value_t::binary:
      // The float's shortest round-trip text is the serializer's own business.
      size.bytes += value.dump(-1, ' ', false, Json::error_handler_t::replace).size();
      return;
  }
}

}  // namespace

JsonSize json_size(const Json& value) {
  JsonSize size;
  measure(value, 0, size);
  return size;
}

JsonSize json_string_size(std::string_view text) { return {quoted_size(text), 1}; }

JsonSize JsonBudget::after(JsonSize removed, JsonSize added) const {
  // Removed parts were counted in `used_`, so the subtractions cannot wrap.
  return {used_.bytes - removed.bytes + added.bytes, used_.values - removed.values + added.values};
}

bool JsonBudget::fits(JsonSize removed, JsonSize added) const {
  const JsonSize total = after(removed, added);
  return total.bytes <= limit_.bytes && total.values <= limit_.values;
}

bool JsonBudget::replace(JsonSize removed, JsonSize added) {
  if (!fits(removed, added)) return false;
  used_ = after(removed, added);
  return true;
}

std::string JsonBudget::passed_limit(JsonSize removed, JsonSize added) const {
  if (after(removed, added).bytes > limit_.bytes)
    return "the limit of " + std::to_string(limit_.bytes) + " bytes (serialised)";
  return "the limit of " + std::to_string(limit_.values) + " JSON values";
}

}  // namespace pop
