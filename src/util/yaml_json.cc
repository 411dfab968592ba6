#include "util/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <string>

#include "util/text.h"

namespace pop {
using Json = nlohmann::json;

namespace {

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

// YAML text must be UTF-8, but yaml-cpp passes any bytes through; a JSON string that is not
// UTF-8 is refused by dump() with an exception, so such a key or scalar is refused here.
Result<void> check_utf8(const YAML::Node& node, const std::string& text) {
  if (is_valid_utf8(text)) return {};
  return fail(ErrorCode::kInvalidArgument,
              "line " + std::to_string(node.Mark().line + 1) + ": a string is not valid UTF-8");
}

// An alias is a second reference to a node that yaml-cpp holds once; converted, it is a
// copy. Counting the values converted is what keeps "billion laughs" from being built.
class Converter {
 public:
  explicit Converter(const JsonLimits& limits) : limits_(limits) {}

  Result<Json> convert(const YAML::Node& node, int depth) {
    if (++values_ > limits_.max_values) {
      return fail(ErrorCode::kTooLarge, "YAML document exceeds the limit of " +
                                            std::to_string(limits_.max_values) +
                                            " JSON values (aliases count each time they are used)");
    }
    if (node.IsSequence() || node.IsMap()) {
      if (depth + 1 > limits_.max_depth)
        return fail(ErrorCode::kTooLarge,
                    "YAML nesting depth exceeds the limit of " + std::to_string(limits_.max_depth));
    }
    switch (node.Type()) {
      case YAML::NodeType::Scalar: {
        if (auto checked = check_utf8(node, node.Scalar()); !checked)
          return fail(std::move(checked).error());
        return scalar_to_json(node);
      }
      case YAML::NodeType::Sequence: {
        Json array = Json::array();
        for (const auto& item : node) {
          auto value = convert(item, depth + 1);
          if (!value) return value;
          array.push_back(std::move(*value));
        }
        return array;
      }
      case YAML::NodeType::Map: {
        Json object = Json::object();
        for (const auto& item : node) {
          const std::string key = item.first.as<std::string>();
          if (auto checked = check_utf8(item.first, key); !checked)
            return fail(std::move(checked).error());
          auto value = convert(item.second, depth + 1);
          if (!value) return value;
          object[key] = std::move(*value);
        }
        return object;
      }
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return nullptr;
    }
    return nullptr;
  }

 private:
  const JsonLimits& limits_;
  std::size_t values_ = 0;
};

}  // namespace

Result<nlohmann::json> yaml_to_json(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return fail(ErrorCode::kTooLarge, "YAML document is " + std::to_string(text.size()) +
                                          " bytes, over the limit of " +
                                          std::to_string(limits.max_bytes) + " bytes");
  }
  try {
    return Converter(limits).convert(YAML::Load(std::string(text)), 0);
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::kInvalidArgument,
                "line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

}  // namespace pop
