// `@<...>` references inside operation payloads (DESIGN.md, "References").
//
//   token    := "@<" source [ "::" pointer [ "?" fallback ] ] ">"
//   source   := <operation> ".out" | "pop.agendaId" | "pop.operationName" | "pop.payload"
//   pointer  := RFC 6901 JSON Pointer; a leading "/" is implied; "" and "/" mean the whole value
//   fallback := any text without ">"; "?" alone yields null when the path is missing,
//               "?text" yields the string "text"
//
// A string that is exactly one token becomes the referenced JSON value (any type). Tokens
// inside a longer string are replaced by the scalar's text (strings verbatim, numbers and
// booleans as JSON, null as ""); an object or array there is an error. Only string values
// are visited, never object keys, and substituted text is never scanned again.
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace pop {

using Json = nlohmann::json;

struct Reference {
  enum class Source { kOperationOutput, kPopValue };

  std::size_t begin = 0;  // offset of "@<" in the scanned string
  std::size_t end = 0;    // offset one past ">"
  Source source = Source::kOperationOutput;
  std::string name;            // operation name (as written) or the pop value name, e.g. "agendaId"
  Json::json_pointer pointer;  // empty pointer = the whole value
  bool has_fallback = false;
  std::optional<std::string> fallback_text;  // set for "?text"; unset for "?" (null)

  std::string text;  // the token as written, for messages
};

// Finds every token in `value`. A malformed token (no closing ">", empty or unknown
// source, bad "~" escape in the pointer) is an error naming the token and the reason.
Result<std::vector<Reference>> find_references(std::string_view value);

// Calls `visit` for every string value in `document` with its JSON Pointer path.
void for_each_string(const Json& document,
                     const std::function<void(const std::string& path, const std::string&)>& visit);

// What the resolver needs to know: outputs of finished operations and pop.* values.
struct ReferenceContext {
  // Returns the output of the named operation (looked up case-insensitively), or nullptr
  // when that operation has no output available.
  std::function<const Json*(std::string_view operation)> operation_output;
  std::string agenda_id;
  std::string operation_name;
  const Json* payload = nullptr;  // pop.payload, bound only when running a template
};

// Returns a copy of `document` with every token replaced. Errors (kInvalidAgenda) name the
// token: an unavailable output, a missing path without fallback, an object or array in a
// composite string, an unbound pop value.
Result<Json> resolve_references(const Json& document, const ReferenceContext& context);

}  // namespace pop
