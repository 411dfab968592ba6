#include "util/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <string>

namespace pop {
namespace {

using Json = nlohmann::json;

Json scalar_to_json(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  // A tag of "!" marks a quoted scalar: always a string.
  if (node.Tag() == "!") return text;
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  long long integer = 0;
  const char* end = text.data() + text.size();
  if (auto [ptr, ec] = std::from_chars(text.data(), end, integer); ec == std::errc() && ptr == end)
    return integer;
  double number = 0;
  if (auto [ptr, ec] = std::from_chars(text.data(), end, number); ec == std::errc() && ptr == end)
    return number;
  return text;
}

// Converts one document, counting what it builds against the limits of yaml_json.h: an alias
// is a reference to a node, so a cycle or aliases of aliases would otherwise recurse without
// end or expand exponentially.
class Converter {
 public:
  Result<Json> convert(const YAML::Node& node, int depth) {
    if (++values_ > kMaxYamlValues)
      return fail(ErrorCode::kInvalidArgument,
                  "the document expands to more than " + std::to_string(kMaxYamlValues) +
                      " values (aliases repeat what their anchor names)");
    switch (node.Type()) {
      case YAML::NodeType::Scalar:
        return scalar_to_json(node);
      case YAML::NodeType::Sequence:
      case YAML::NodeType::Map:
        break;
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return nullptr;
    }
    if (depth >= kMaxYamlDepth)
      return fail(ErrorCode::kInvalidArgument,
                  "the document is nested deeper than " + std::to_string(kMaxYamlDepth) +
                      " levels (or an alias names a node that contains it)");
    Json container = node.IsMap() ? Json::object() : Json::array();
    for (const auto& item : node) {
      auto value = convert(node.IsMap() ? item.second : item, depth + 1);
      if (!value) return value;
      if (node.IsMap()) {
        container[item.first.as<std::string>()] = std::move(*value);
      } else {
        container.push_back(std::move(*value));
      }
    }
    return container;
  }

 private:
  std::size_t values_ = 0;
};

}  // namespace

Result<nlohmann::json> yaml_to_json(std::string_view text) {
  try {
    return Converter().convert(YAML::Load(std::string(text)), 0);
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::kInvalidArgument,
                "line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

}  // namespace pop
