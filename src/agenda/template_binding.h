// Binding an agenda template (DESIGN.md, "Templates"): the tokens a template run can resolve
// before the agenda exists — `@<pop.payload...>` and `@<NAME...>` for each NAME of the
// template's staticParameters — are replaced by their values; every other reference
// (`@<op.out>`, `@<pop.agendaId>`, `@<pop.operationName>`) is left as written for the
// executor. Token grammar, pointers, fallbacks and replacement follow agenda/reference.h: a
// string that is exactly one bound token becomes the value (any JSON), a bound token inside
// a longer string becomes the scalar's text.
//
// Every string value of the document is visited (titles and params too, not only payloads),
// object keys never, and substituted text is not scanned again here. It is scanned by the
// agenda validator afterwards like any other text, so a bound value that contains "@<...>"
// reads as a reference when the agenda is submitted.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "util/json_size.h"
#include "util/result.h"

namespace pop {

using Json = nlohmann::json;

struct TemplateValues {
  const Json* payload = nullptr;            // pop.payload; must be set
  const Json* static_parameters = nullptr;  // an object (NAME -> value); must be set
  // The trial bind that checks a template when it is stored: a payload path that does not
  // exist yields null instead of an error, as if every pop.payload token ended with "?".
  bool lenient_payload = false;
  // The most the bound document may hold (an agenda's limits, for a template's agenda).
  JsonSize limit;
};

// A copy of `document` with every bound token replaced, within `values.limit`: each value's
// size is counted before it is copied in, and the first that would take the document past
// the limit ends binding (kTooLarge, naming the path, the token and the limit). Other errors
// (kInvalidAgenda) give the JSON Pointer path of the string and the token: malformed (no
// closing ">", bad pointer escape), an unknown source, a missing path without fallback, an
// object or array inside a longer string.
Result<Json> bind_template(const Json& document, const TemplateValues& values);

// A template's operation names and types are written out, never bound: docs/server.md
// promises they cannot come from a run's payload, and the trial bind that checks a template
// when it is stored could not check them otherwise. kInvalidAgenda with one detail per
// operation field that holds a token ("operation \"a\", field type: ..."). Other problems
// of `agenda` are left to the trial bind.
Result<void> check_literal_names_and_types(const Json& agenda);

// Whether `name` can name a static parameter (kInvalidAgenda saying why not): non-empty,
// without ">" (it ends a token) or "::" (it starts a pointer), and neither starting with
// "pop." nor ending with ".out", which would make a token ambiguous with the executor's.
Result<void> check_static_parameter_name(std::string_view name);

}  // namespace pop
