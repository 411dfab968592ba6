// Maps an operation type to how its handler runs. Layers, lowest first: built-in
// defaults, the registry file's "defaults", the type's entry, then the operation's own
// params for the keys listed in kOperationOverridableKeys.
//
// Registry file (JSON, or YAML with the same structure):
//   {"defaults": {<spec fields>},
//    "handlers": {"TYPE": {"command": ["prog", "arg"], "env": {"K": "V"},
//                          "timeoutSeconds": N, "maximumAttempts": N,
//                          "retryBackoffSeconds": N, "terminationGraceSeconds": N,
//                          "image": "repo/name:tag", "imagePullPolicy": "IfNotPresent",
//                          "cpuMin": "250m", "cpuMax": 2, "memory": "512Mi",
//                          "nodeSelector": {"K": "V"}, "tolerations": [{...}],
//                          "serviceAccountName": "NAME"}}}
// The container fields matter to the container and Kubernetes runners only; there `command`
// is the container's command (it replaces the image's entrypoint).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "util/json_limits.h"
#include "util/result.h"

namespace pop {

using Json = nlohmann::json;

// What a registry document (a file, or POP_HANDLERS_DOCUMENT) may hold, JSON or YAML.
inline constexpr JsonLimits kRegistryLimits{
    .max_bytes = 4u << 20, .max_depth = 32, .max_values = 100'000};

// How a container or Pod runner runs the handler.
struct ContainerSpec {
  std::string image;              // required by the container runners
  std::string image_pull_policy;  // Always, IfNotPresent or Never; empty: the cluster's default
  double cpu_request = 0;         // cores ("cpuMin"); 0: none
  double cpu_limit = 0;           // cores ("cpuMax"); 0: none
  std::int64_t memory_bytes = 0;  // request and limit ("memory"); 0: none
  std::map<std::string, std::string> node_selector;
  Json tolerations = Json::array();  // Kubernetes toleration objects, passed on as given
  std::string service_account_name;
};

struct HandlerSpec {
  std::vector<std::string> command;  // argv; argv[0] looked up in PATH
  // A built-in handler that runs inside the executor, without a process or a runner
  // (engine/resident_handlers.h): "noop". Empty: `command` is run. Not settable in files.
  std::string resident;
  std::map<std::string, std::string> env;  // added to the handler's environment
  double timeout_seconds = 3600;           // per attempt, wall clock from start
  int maximum_attempts = 1;                // per operation; 1 means no retry
  double retry_backoff_seconds = 1;        // base of the exponential backoff
  double termination_grace_seconds = 5;    // between TERM and KILL
  ContainerSpec container;
};

// Operation params that may override the handler's spec.
inline constexpr std::string_view kOperationOverridableKeys[] = {
    "timeoutSeconds", "maximumAttempts", "retryBackoffSeconds", "cpuMin", "cpuMax", "memory"};

class HandlerRegistry {
 public:
  // The built-in handlers and defaults: type "sample" (`<pop_binary> handler sample`) and
  // the resident type "noop" (succeeds at once, with no output and no process).
  static HandlerRegistry builtin(const std::filesystem::path& pop_binary);

  // Adds the file's defaults and handlers on top of this registry (a type in the file
  // replaces the built-in one), read within kRegistryLimits. Errors name the file, the type
  // and the field.
  Result<void> merge_file(const std::filesystem::path& path);
  Result<void> merge_json(const Json& document, std::string_view origin);

  bool has(std::string_view type) const;
  // The type's spec with registry defaults applied, or nullptr when unknown.
  const HandlerSpec* find(std::string_view type) const;

  // find(type) with the operation's overridable params applied. kInvalidAgenda when a
  // param has the wrong type or range, kNotFound for an unknown type.
  Result<HandlerSpec> resolve(std::string_view type, const Json& operation_params) const;

 private:
  HandlerSpec defaults_;
  Json default_fields_ = Json::object();                   // the "defaults" object as merged so far
  std::map<std::string, Json, std::less<>> entries_;       // raw type entries, before defaults
  std::map<std::string, HandlerSpec, std::less<>> specs_;  // entries_ over default_fields_
};

// Path of the running executable (/proc/self/exe).
std::filesystem::path current_executable();

}  // namespace pop
