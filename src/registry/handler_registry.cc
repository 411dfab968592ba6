#include "registry/handler_registry.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "util/duration_limits.h"
#include "util/json_limits.h"
#include "util/quantity.h"
#include "util/yaml_json.h"

namespace pop {
namespace {

constexpr int kMaxAttemptsLimit = 100;

bool is_spec_key(std::string_view key, bool allow_command) {
  static constexpr std::string_view kKeys[] = {"env",
                                               "timeoutSeconds",
                                               "maximumAttempts",
                                               "retryBackoffSeconds",
                                               "terminationGraceSeconds",
                                               "image",
                                               "imagePullPolicy",
                                               "cpuMin",
                                               "cpuMax",
                                               "memory",
                                               "nodeSelector",
                                               "tolerations",
                                               "serviceAccountName"};
  if (key == "command") return allow_command;
  return std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys);
}

Result<double> seconds_in(const Json& value, std::string_view key, double minimum, bool strictly,
                          double maximum) {
  const bool ok = value.is_number() && std::isfinite(value.get<double>()) &&
                  (strictly ? value.get<double>() > minimum : value.get<double>() >= minimum) &&
                  value.get<double>() <= maximum;
  if (!ok) {
    return fail(ErrorCode::kInvalidArgument,
                std::string(key) + " must be a number " + (strictly ? "> " : ">= ") +
                    std::to_string(static_cast<int>(minimum)) +
                    " and <= " + std::to_string(static_cast<long long>(maximum)));
  }
  return value.get<double>();
}

// Applies one field of a registry entry or of operation params to `spec`.
Result<std::map<std::string, std::string>> string_map(const Json& value, std::string_view key) {
  if (!value.is_object())
    return fail(ErrorCode::kInvalidArgument, std::string(key) + " must be an object of strings");
  std::map<std::string, std::string> map;
  for (const auto& [name, text] : value.items()) {
    if (!text.is_string())
      return fail(ErrorCode::kInvalidArgument, std::string(key) + "." + name + " must be a string");
    map[name] = text.get<std::string>();
  }
  return map;
}

// The container runner's fields; false when `key` is not one of them.
Result<bool> apply_container_field(ContainerSpec& spec, std::string_view key, const Json& value) {
  const auto with_key = [key](const Error& error) {
    return fail(ErrorCode::kInvalidArgument, std::string(key) + ": " + error.message);
  };
  if (key == "image") {
    if (!value.is_string() || value.get_ref<const std::string&>().empty())
      return fail(ErrorCode::kInvalidArgument, "image must be a non-empty string");
    spec.image = value.get<std::string>();
  } else if (key == "imagePullPolicy") {
    if (value != "Always" && value != "IfNotPresent" && value != "Never")
      return fail(ErrorCode::kInvalidArgument,
                  "imagePullPolicy must be \"Always\", \"IfNotPresent\" or \"Never\"");
    spec.image_pull_policy = value.get<std::string>();
  } else if (key == "cpuMin" || key == "cpuMax") {
    auto cores = cpu_cores_from(value);
    if (!cores) return with_key(cores.error());
    (key == "cpuMin" ? spec.cpu_request : spec.cpu_limit) = *cores;
  } else if (key == "memory") {
    auto bytes = memory_bytes_from(value);
    if (!bytes) return with_key(bytes.error());
    spec.memory_bytes = *bytes;
  } else if (key == "nodeSelector") {
    auto selector = string_map(value, key);
    if (!selector) return fail(std::move(selector).error());
    spec.node_selector = std::move(*selector);
  } else if (key == "tolerations") {
    if (!value.is_array() ||
        !std::all_of(value.begin(), value.end(), [](const Json& t) { return t.is_object(); }))
      return fail(ErrorCode::kInvalidArgument,
                  "tolerations must be an array of Kubernetes toleration objects");
    spec.tolerations = value;
  } else if (key == "serviceAccountName") {
    if (!value.is_string())
      return fail(ErrorCode::kInvalidArgument, "serviceAccountName must be a string");
    spec.service_account_name = value.get<std::string>();
  } else {
    return false;
  }
  return true;
}

Result<void> apply_field(HandlerSpec& spec, std::string_view key, const Json& value) {
  auto container_field = apply_container_field(spec.container, key, value);
  if (!container_field) return fail(std::move(container_field).error());
  if (*container_field) return {};
  if (key == "resident") {  // built-in entries only: is_spec_key refuses it in files
    spec.resident = value.get<std::string>();
  } else if (key == "command") {
    if (!value.is_array() || value.empty())
      return fail(ErrorCode::kInvalidArgument, "command must be a non-empty array of strings");
    std::vector<std::string> command;
    for (const auto& arg : value) {
      if (!arg.is_string())
        return fail(ErrorCode::kInvalidArgument, "command must be a non-empty array of strings");
      command.push_back(arg.get<std::string>());
    }
    spec.command = std::move(command);
  } else if (key == "env") {
    auto env = string_map(value, key);
    if (!env) return fail(std::move(env).error());
    for (auto& [name, text] : *env) spec.env[name] = std::move(text);
  } else if (key == "timeoutSeconds") {
    auto number = seconds_in(value, key, 0, true, kMaxTimeoutSeconds);
    if (!number) return fail(std::move(number).error());
    spec.timeout_seconds = *number;
  } else if (key == "maximumAttempts") {
    if (!value.is_number_integer() || value.get<long long>() < 1 ||
        value.get<long long>() > kMaxAttemptsLimit) {
      return fail(ErrorCode::kInvalidArgument, "maximumAttempts must be an integer from 1 to " +
                                                   std::to_string(kMaxAttemptsLimit));
    }
    spec.maximum_attempts = value.get<int>();
  } else if (key == "retryBackoffSeconds") {
    auto number = seconds_in(value, key, 0, false, kMaxRetryBackoffSeconds);
    if (!number) return fail(std::move(number).error());
    spec.retry_backoff_seconds = *number;
  } else if (key == "terminationGraceSeconds") {
    auto number = seconds_in(value, key, 0, false, kMaxTerminationGraceSeconds);
    if (!number) return fail(std::move(number).error());
    spec.termination_grace_seconds = *number;
  }
  return {};
}

// Checked once a whole layer is applied: a layer may raise both bounds, in any key order.
Result<void> check_cpu_bounds(const HandlerSpec& spec) {
  if (spec.container.cpu_limit > 0 && spec.container.cpu_request > spec.container.cpu_limit)
    return fail(ErrorCode::kInvalidArgument, "cpuMin must not exceed cpuMax");
  return {};
}

Result<void> apply_object(HandlerSpec& spec, const Json& object) {
  for (const auto& [key, value] : object.items()) {
    if (auto applied = apply_field(spec, key, value); !applied) return applied;
  }
  return check_cpu_bounds(spec);
}

Result<void> check_keys(const Json& object, bool allow_command, const std::string& where) {
  if (!object.is_object()) return fail(ErrorCode::kInvalidArgument, where + " must be an object");
  for (const auto& [key, value] : object.items()) {
    if (!is_spec_key(key, allow_command))
      return fail(ErrorCode::kInvalidArgument, where + ": unknown field \"" + key + "\"");
  }
  return {};
}

Result<void> with_context(Result<void> result, const std::string& where) {
  if (!result) result.error().message = where + ": " + result.error().message;
  return result;
}

}  // namespace

HandlerRegistry HandlerRegistry::builtin(const std::filesystem::path& pop_binary) {
  HandlerRegistry registry;
  registry.entries_["sample"] = Json{{"command", {pop_binary.string(), "handler", "sample"}}};
  registry.entries_["noop"] = Json{{"resident", "noop"}};
  // Merging nothing derives the specs from the entries.
  (void)registry.merge_json(Json::object(), "built-in handlers");
  return registry;
}

Result<void> HandlerRegistry::merge_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in)
    return fail(ErrorCode::kInvalidArgument, "cannot read handler registry " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  const std::string extension = path.extension().string();
  const bool yaml = extension == ".yaml" || extension == ".yml";
  Result<Json> document = yaml ? yaml_to_json(text.str(), kRegistryLimits)
                               : parse_json_limited(text.str(), kRegistryLimits);
  if (!document) {
    return fail(ErrorCode::kInvalidArgument, "handler registry " + path.string() +
                                                 " is not valid " + (yaml ? "YAML" : "JSON") +
                                                 ": " + document.error().message);
  }
  // Handlers run in a private working directory, so a relative command path can only mean
  // relative to the registry file that names it.
  if (document->is_object() && document->contains("handlers") &&
      (*document)["handlers"].is_object()) {
    const auto base = std::filesystem::absolute(path).parent_path();
    for (auto& [type, entry] : (*document)["handlers"].items()) {
      if (!entry.is_object() || !entry.contains("command") || !entry["command"].is_array() ||
          entry["command"].empty() || !entry["command"][0].is_string())
        continue;
      const std::string program = entry["command"][0];
      if (program.find('/') != std::string::npos && program.front() != '/')
        entry["command"][0] = (base / program).lexically_normal().string();
    }
  }
  return merge_json(*document, path.string());
}

Result<void> HandlerRegistry::merge_json(const Json& document, std::string_view origin) {
  const std::string where(origin);
  if (!document.is_object())
    return fail(ErrorCode::kInvalidArgument, where + ": must be an object");
  for (const auto& [key, value] : document.items()) {
    if (key != "defaults" && key != "handlers")
      return fail(ErrorCode::kInvalidArgument, where + ": unknown field \"" + key + "\"");
  }
  // Check everything before changing anything, so a bad file leaves the registry intact.
  Json defaults = default_fields_;
  if (document.contains("defaults")) {
    const Json& given = document["defaults"];
    if (auto ok = check_keys(given, false, where + ": defaults"); !ok) return ok;
    HandlerSpec probe;
    if (auto ok = with_context(apply_object(probe, given), where + ": defaults"); !ok) return ok;
    for (const auto& [key, value] : given.items()) {
      if (key == "env" && defaults.contains("env")) {
        defaults["env"].update(value);
      } else {
        defaults[key] = value;
      }
    }
  }
  auto entries = entries_;
  if (document.contains("handlers")) {
    const Json& handlers = document["handlers"];
    if (!handlers.is_object())
      return fail(ErrorCode::kInvalidArgument, where + ": handlers must be an object");
    for (const auto& [type, entry] : handlers.items()) {
      const std::string entry_where = where + ": handlers." + type;
      if (type.empty()) return fail(ErrorCode::kInvalidArgument, where + ": empty handler type");
      if (auto ok = check_keys(entry, true, entry_where); !ok) return ok;
      if (!entry.contains("command"))
        return fail(ErrorCode::kInvalidArgument, entry_where + ": command is required");
      entries[type] = entry;
    }
  }
  std::map<std::string, HandlerSpec, std::less<>> specs;
  for (const auto& [type, entry] : entries) {
    HandlerSpec spec;
    if (auto ok = apply_object(spec, defaults); !ok) return with_context(ok, where + ": defaults");
    if (auto ok = apply_object(spec, entry); !ok)
      return with_context(ok, where + ": handlers." + type);
    specs.emplace(type, std::move(spec));
  }
  default_fields_ = std::move(defaults);
  entries_ = std::move(entries);
  specs_ = std::move(specs);
  return {};
}

bool HandlerRegistry::has(std::string_view type) const { return specs_.find(type) != specs_.end(); }

const HandlerSpec* HandlerRegistry::find(std::string_view type) const {
  auto it = specs_.find(type);
  return it == specs_.end() ? nullptr : &it->second;
}

Result<HandlerSpec> HandlerRegistry::resolve(std::string_view type,
                                             const Json& operation_params) const {
  const HandlerSpec* base = find(type);
  if (base == nullptr)
    return fail(ErrorCode::kNotFound,
                "no handler registered for type \"" + std::string(type) + "\"");
  HandlerSpec spec = *base;
  if (!operation_params.is_object()) return spec;
  for (std::string_view key : kOperationOverridableKeys) {
    auto it = operation_params.find(key);
    if (it == operation_params.end()) continue;
    if (auto ok = apply_field(spec, key, *it); !ok) {
      return fail(ErrorCode::kInvalidAgenda, "params." + ok.error().message);
    }
  }
  if (auto ok = check_cpu_bounds(spec); !ok)
    return fail(ErrorCode::kInvalidAgenda, "params." + ok.error().message);
  return spec;
}

std::filesystem::path current_executable() {
  std::error_code error;
  auto path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::path("pop") : path;
}

}  // namespace pop
