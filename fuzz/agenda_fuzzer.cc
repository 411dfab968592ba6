// Agenda documents as a client submits them (POST /v1/agendas, `pop run FILE`): JSON parse
// with limits, the agenda model, and semantic validation (agenda/agenda_validator.h).
//
// Beyond not crashing: an accepted agenda is accepted again in the form it is stored and
// handed to the puller (agenda_to_json, dumped and loaded again, as puller_agent does), and
// reads back the same.
#include "agenda/agenda_validator.h"
#include "fuzz_support.h"

namespace {

// Every type has a handler except "unknown", so both answers of the type check are reached.
bool type_known(std::string_view type) { return type != "unknown"; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto loaded = pop::load_agenda(pop::fuzz::as_text(data, size), type_known);
  if (!loaded) {
    POP_FUZZ_CHECK(!loaded.error().message.empty());
    return 0;
  }
  const pop::Json stored = pop::agenda_to_json(loaded->agenda);
  const auto again = pop::load_agenda(stored.dump(), type_known);
  POP_FUZZ_CHECK(again.has_value());
  POP_FUZZ_CHECK(pop::agenda_to_json(again->agenda) == stored);
  return 0;
}
