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

#include "util/json_size.h"
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

// The value `reference` names, without copying it: a pointer into the context's values, or
// into `scratch` for pop.agendaId, pop.operationName and a fallback. Errors (kInvalidAgenda)
// name the token: an unavailable output, a missing path without fallback, an unbound pop
// value.
Result<const Json*> referenced_value(const Reference& reference, const ReferenceContext& context,
                                     Json& scratch);

// Returns a copy of `document` with every token replaced, holding at most `limit`: the size of
// each value is counted before it is copied in, and the first that would take the result past
// the limit ends resolution (kTooLarge, naming the token, its path and the limit). Other
// errors (kInvalidAgenda) name the token and its path: those of referenced_value(), and an
// object or array in a composite string.
Result<Json> resolve_references(const Json& document, const ReferenceContext& context,
                                JsonSize limit);

// `token` quoted for a message, shortened when it is long.
std::string quote_token(std::string_view token);

// What every reference begins with.
inline constexpr std::string_view kReferenceOpen = "@<";

// kInvalidAgenda: "malformed reference <token>: <reason>".
tl::unexpected<Error> malformed_reference(std::string_view token, const std::string& reason);

}  // namespace pop
