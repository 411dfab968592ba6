// `@<...>` references (agenda/reference.h): finding them in every string of a payload and
// resolving them against operation outputs, as the executor does before it starts an
// operation. Input: "PAYLOAD\0OUTPUT", two JSON texts; PAYLOAD that is not JSON is taken as
// one string value, and OUTPUT (not JSON: none) is the output of every operation but
// "missing", and pop.payload.
//
// Beyond not crashing: every token found lies where it says in the string it was found in,
// and reads "@<...>".
#include <optional>

#include "agenda/agenda.h"
#include "agenda/reference.h"
#include "fuzz_support.h"
#include "util/json_limits.h"

namespace {

using pop::Json;

// A payload's limits (agenda/agenda_validator.h), for the documents and for what resolving
// may build.
constexpr pop::JsonLimits kLimits{.max_bytes = 1 << 20, .max_depth = 64, .max_values = 100'000};
constexpr pop::JsonSize kResolvedLimit{.bytes = kLimits.max_bytes, .values = kLimits.max_values};

// The text as a JSON document, or as one string value; nullopt for text that is neither (not
// UTF-8), which no parsed document holds.
std::optional<Json> parse_or_string(std::string_view text) {
  auto parsed = pop::parse_json_limited(text, kLimits);
  if (parsed) return std::move(*parsed);
  if (!pop::fuzz::is_utf8(text)) return std::nullopt;
  return Json(std::string(text));
}

void check_tokens(const std::string& text) {
  const auto references = pop::find_references(text);
  if (!references) return;
  std::size_t after_previous = 0;
  for (const pop::Reference& reference : *references) {
    POP_FUZZ_CHECK(reference.begin >= after_previous);
    POP_FUZZ_CHECK(reference.begin < reference.end && reference.end <= text.size());
    POP_FUZZ_CHECK(text.compare(reference.begin, reference.end - reference.begin, reference.text) ==
                   0);
    POP_FUZZ_CHECK(reference.text.starts_with("@<") && reference.text.ends_with(">"));
    after_previous = reference.end;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = pop::fuzz::split_input(pop::fuzz::as_text(data, size), 2);
  const auto parsed = parse_or_string(parts[0]);
  if (!parsed) return 0;
  const Json& payload = *parsed;
  auto output = pop::parse_json_limited(parts[1], kLimits);

  pop::for_each_string(payload,
                       [](const std::string&, const std::string& text) { check_tokens(text); });

  pop::ReferenceContext context;
  context.operation_output = [&output](std::string_view operation) -> const Json* {
    return output && pop::fold_name(operation) != "missing" ? &*output : nullptr;
  };
  context.agenda_id = "agenda-1";
  context.operation_name = "op";
  context.payload = output ? &*output : nullptr;
  const auto resolved = pop::resolve_references(payload, context, kResolvedLimit);
  if (resolved) POP_FUZZ_CHECK(resolved->type() == payload.type() || payload.is_string());
  return 0;
}
