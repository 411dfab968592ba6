// Agenda templates (agenda/template_binding.h) as a template run binds them: the template's
// agenda with `@<pop.payload...>` and static-parameter tokens, the payload a caller sends,
// then the bound agenda through load_agenda. Input: "AGENDA\0PAYLOAD\0STATIC", three JSON
// texts; AGENDA must be an object (templates are refused otherwise), STATIC an object (else
// none), PAYLOAD any JSON (else null).
//
// Both binds are run: the lenient trial bind a template gets when it is stored (null
// payload) and the real one.
#include "agenda/agenda_validator.h"
#include "agenda/template_binding.h"
#include "fuzz_support.h"
#include "util/json_limits.h"

namespace {

using pop::Json;

constexpr pop::JsonLimits kLimits{.max_bytes = 1 << 20, .max_depth = 64, .max_values = 100'000};
// What a bound agenda may hold, smaller than an agenda's limit so that runs stay quick.
constexpr pop::JsonSize kBoundLimit{.bytes = 4 << 20, .values = 400'000};

Json parse_or(std::string_view text, Json otherwise) {
  auto parsed = pop::parse_json_limited(text, kLimits);
  return parsed ? std::move(*parsed) : std::move(otherwise);
}

void bind_and_load(const Json& agenda, const pop::TemplateValues& values) {
  const auto bound = pop::bind_template(agenda, values);
  if (!bound) return;
  POP_FUZZ_CHECK(bound->is_object());
  (void)pop::load_agenda(bound->dump(-1, ' ', false, Json::error_handler_t::replace),
                         [](std::string_view) { return true; });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = pop::fuzz::split_input(pop::fuzz::as_text(data, size), 3);
  const Json agenda = parse_or(parts[0], nullptr);
  if (!agenda.is_object()) return 0;
  const Json payload = parse_or(parts[1], nullptr);
  const Json given = parse_or(parts[2], Json::object());
  Json static_parameters = Json::object();
  // Only names that a stored template may have (config documents refuse the others).
  if (given.is_object()) {
    for (const auto& [name, value] : given.items()) {
      if (pop::check_static_parameter_name(name)) static_parameters[name] = value;
    }
  }

  const Json no_payload;
  bind_and_load(agenda, {&no_payload, &static_parameters, /*lenient_payload=*/true, kBoundLimit});
  bind_and_load(agenda, {&payload, &static_parameters, /*lenient_payload=*/false, kBoundLimit});
  return 0;
}
