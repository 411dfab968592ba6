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

Json node_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return scalar_to_json(node);
    case YAML::NodeType::Sequence: {
      Json array = Json::array();
      for (const auto& item : node) array.push_back(node_to_json(item));
      return array;
    }
    case YAML::NodeType::Map: {
      Json object = Json::object();
      for (const auto& item : node)
        object[item.first.as<std::string>()] = node_to_json(item.second);
      return object;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

Result<nlohmann::json> yaml_to_json(std::string_view text) {
  try {
    return node_to_json(YAML::Load(std::string(text)));
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::kInvalidArgument,
                "line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

}  // namespace pop
