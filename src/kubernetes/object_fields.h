// Reading Kubernetes objects from the API server without trusting their shape: a missing,
// null or mistyped field reads as empty instead of throwing on a watch or worker thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace pop::kubernetes {

// object[name], or null when `object` is no object or has no such member.
const nlohmann::json& field(const nlohmann::json& object, std::string_view name);
// field() when it is a string, else "".
std::string text(const nlohmann::json& object, std::string_view name);
// metadata.<name> as text ("name", "namespace", "resourceVersion", ...).
std::string metadata_text(const nlohmann::json& object, std::string_view name);
// metadata.<map>.<key> as text, for labels and annotations.
std::string metadata_entry(const nlohmann::json& object, std::string_view map,
                           std::string_view key);

}  // namespace pop::kubernetes
