#include "kubernetes/object_fields.h"

#include "util/json_fields.h"

namespace pop::kubernetes {

using Json = nlohmann::json;

const Json& field(const Json& object, std::string_view name) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(name);
  return it == object.end() ? kNull : *it;
}

std::string text(const Json& object, std::string_view name) { return string_field(object, name); }

std::string metadata_text(const Json& object, std::string_view name) {
  return text(field(object, "metadata"), name);
}

std::string metadata_entry(const Json& object, std::string_view map, std::string_view key) {
  return text(field(field(object, "metadata"), map), key);
}

}  // namespace pop::kubernetes
