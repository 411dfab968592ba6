// Handler registry files (registry/handler_registry.h) in JSON and YAML (util/yaml_json.h),
// read as `pop server --handlers FILE` reads them, then operation params applied on top as
// the executor does. Input: "REGISTRY\0PARAMS": REGISTRY is written to registry.json when it
// parses as JSON, else to registry.yaml; PARAMS (JSON or YAML; else none) are the operation
// params every registered type is resolved with.
//
// Beyond not crashing: a registry that merged knows every type its "handlers" names, each
// resolves without params, and a refused registry leaves the registry as it was.
#include <filesystem>
#include <fstream>

#include "fuzz_support.h"
#include "registry/handler_registry.h"
#include "util/temp_dir.h"
#include "util/yaml_json.h"

namespace {

using pop::Json;

const pop::TempDir& directory() {
  static const pop::TempDir instance = [] {
    auto created = pop::TempDir::create("pop-fuzz-registry-");
    POP_FUZZ_CHECK(created.has_value());
    return std::move(*created);
  }();
  return instance;
}

std::filesystem::path write(std::string_view text, const char* name) {
  const std::filesystem::path path = directory().path() / name;
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(text.data(), static_cast<std::streamsize>(text.size()));
  POP_FUZZ_CHECK(file.flush().good());
  return path;
}

// A registry file's limits (registry/handler_registry.cc).
constexpr pop::JsonLimits kLimits{.max_bytes = 4 << 20, .max_depth = 32, .max_values = 100'000};

// The text as JSON, else as YAML, else null.
Json document_from(std::string_view text) {
  Json document = Json::parse(text, nullptr, false);
  if (!document.is_discarded()) return document;
  auto yaml = pop::yaml_to_json(text, kLimits);
  return yaml ? std::move(*yaml) : Json();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = pop::fuzz::split_input(pop::fuzz::as_text(data, size), 2);
  const Json as_json = Json::parse(parts[0], nullptr, false);
  const std::filesystem::path file =
      write(parts[0], as_json.is_discarded() ? "registry.yaml" : "registry.json");

  pop::HandlerRegistry registry = pop::HandlerRegistry::builtin("/usr/bin/pop");
  const auto merged = registry.merge_file(file);
  if (!merged) {
    POP_FUZZ_CHECK(merged.error().code == pop::ErrorCode::kInvalidArgument);
    // Nothing of a refused file is kept: only the built-in handler is there.
    POP_FUZZ_CHECK(registry.has("sample"));
    POP_FUZZ_CHECK(registry.resolve("sample", Json::object()).has_value());
    return 0;
  }

  const Json document = document_from(parts[0]);
  std::vector<std::string> types = {"sample"};
  if (document.is_object() && document.contains("handlers") && document["handlers"].is_object()) {
    for (const auto& [type, entry] : document["handlers"].items()) types.push_back(type);
  }
  const Json params = document_from(parts[1]);
  for (const std::string& type : types) {
    POP_FUZZ_CHECK(registry.has(type));
    POP_FUZZ_CHECK(registry.resolve(type, Json::object()).has_value());
    const auto resolved = registry.resolve(type, params);
    if (!resolved) POP_FUZZ_CHECK(resolved.error().code == pop::ErrorCode::kInvalidAgenda);
  }
  return 0;
}
