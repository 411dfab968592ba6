#include "util/json_fields.h"

#include <cstdint>
#include <limits>

namespace pop {

std::string string_field(const nlohmann::json& document, std::string_view key) {
  if (!document.is_object()) return {};
  auto it = document.find(key);
  return it != document.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<int> int_value(const nlohmann::json& value) {
  constexpr std::int64_t kMin = std::numeric_limits<int>::min();
  constexpr std::int64_t kMax = std::numeric_limits<int>::max();
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(kMax)) return std::nullopt;
    return static_cast<int>(number);
  }
  if (!value.is_number_integer()) return std::nullopt;
  const auto number = value.get<std::int64_t>();
  if (number < kMin || number > kMax) return std::nullopt;
  return static_cast<int>(number);
}

}  // namespace pop
