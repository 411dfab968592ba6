#include "util/json_fields.h"

namespace pop {

std::string string_field(const nlohmann::json& document, std::string_view key) {
  if (!document.is_object()) return {};
  auto it = document.find(key);
  return it != document.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace pop
