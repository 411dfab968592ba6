// Reading a field of a JSON document that may hold anything (a client's body, a document
// stored by another version) without exceptions: nlohmann's value("id", "") throws
// type_error when "id" is 5, true, [] or {}.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace pop {

// The field's text; empty when `document` is not an object, or the field is absent or not a
// string.
std::string string_field(const nlohmann::json& document, std::string_view key);

// The value as an int when it is an integer within int's range; nullopt for anything else.
// (get<int>() would wrap 4294967296 to 0: a failed exit status read as a success.)
std::optional<int> int_value(const nlohmann::json& value);

}  // namespace pop
