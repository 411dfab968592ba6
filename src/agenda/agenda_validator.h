// Whole-agenda validation: every problem found, up to a cap, each naming the operation and
// field. Invalid input never starts anything, so callers run this before executing.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include "agenda/agenda.h"
#include "agenda/agenda_graph.h"
#include "util/result.h"

namespace pop {

// Documented in docs/agenda-format.md ("Limits").
struct AgendaLimits {
  std::size_t max_document_bytes = 32u << 20;
  // JSON values in the whole document (util/json_limits.h): what bounds its memory once
  // parsed, about 100 bytes a value at worst.
  std::size_t max_values = 1'000'000;
  std::size_t max_operations = 10000;
  std::size_t max_payload_bytes = 1u << 20;  // one operation's payload, serialised
  std::size_t max_payload_values = 100'000;  // JSON values in one operation's payload
  // The agenda's top-level fields other than the model's (cid, externalId, priority, ...),
  // serialised together: stored and served back as they are, so they are kept small.
  std::size_t max_extra_bytes = 64u << 10;
  int max_depth = 64;  // JSON nesting depth of the whole document
  std::size_t max_name_length = 256;
  // Shown in every listing's summary of the agenda (up to a thousand a page), so kept short.
  std::size_t max_title_bytes = 1024;
  std::size_t max_link_id_bytes = 1024;
  std::size_t max_issues = 50;
};

struct ValidatedAgenda {
  Agenda agenda;
  AgendaGraph graph;
};

// Answers whether an operation type has a handler. An empty function accepts every type, for
// checking an agenda where no handler registry is at hand.
using TypeKnown = std::function<bool(std::string_view type)>;

// Parses JSON text with the size, value and depth limits (kTooLarge, kInvalidArgument with
// the byte offset of a syntax error): what an agenda received as text goes through once, at
// the edge, before it travels as a value.
Result<Json> parse_agenda_text(std::string_view text, const AgendaLimits& limits = {});

// The limits of parse_agenda_text, in its words, for a document built or received as a value
// (a bound template, a leased agenda): its bytes are those of its compact text.
Result<void> check_agenda_document(const Json& document, const AgendaLimits& limits = {});

// parse_agenda, then validate_agenda. REQUIRES: `document` within the limits: parsed by
// parse_agenda_text, or checked by check_agenda_document (they are not checked again: a
// document parsed within them may serialise longer, 1e14 as 100000000000000.0). A top level
// that is not an object is kInvalidAgenda.
Result<ValidatedAgenda> load_agenda_document(Json document, const TypeKnown& type_known,
                                             const AgendaLimits& limits = {});

// parse_agenda_text, then load_agenda_document.
Result<ValidatedAgenda> load_agenda(std::string_view text, const TypeKnown& type_known,
                                    const AgendaLimits& limits = {});

// The most attempts an operation may declare (params.maximumAttempts).
inline constexpr int kMaxOperationAttempts = 100;

// Semantic checks on a parsed agenda. Returns kInvalidAgenda with one detail line per issue
// (those already in `issues` included), or kTooLarge at once for more than max_operations.
// Checks: at least one operation; names present, within length, unique case-insensitively;
// type present and known; payload size and values; the length of title and linkId; the size
// of the other top-level fields;
// operation params (timeoutSeconds > 0,
// maximumAttempts integer 1..100, retryBackoffSeconds >= 0, dependsOn string or array of
// strings); every reference well-formed and naming an existing operation or pop value;
// dependsOn naming existing operations; no dependency cycles (each reported with its path);
// agenda params (maximumAttempts integer 1..20, doNotRun boolean).
Result<ValidatedAgenda> validate_agenda(Agenda agenda, const TypeKnown& type_known,
                                        const AgendaLimits& limits, IssueList issues);

}  // namespace pop
