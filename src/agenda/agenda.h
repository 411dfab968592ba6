// The agenda model: POP's JSON DAG of operations. Parsing is tolerant and collects every
// structural problem into an IssueList so that a caller can report them all at once;
// fields the model does not know are kept in `extra` and written back unchanged.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "agenda/validation_issue.h"

namespace pop {

using Json = nlohmann::json;

struct Operation {
  std::string name;  // required; unique in the agenda, compared case-insensitively
  std::string type;  // selects the handler in the registry
  Json payload;      // the handler's own input; any JSON, null when absent
  Json params;       // always an object (empty when absent)
  Json extra;        // every other field of the operation object, verbatim
};

struct Agenda {
  std::string id;  // empty until assigned
  std::string customer_id;
  std::string link_id;
  std::string title;
  std::vector<Operation> operations;
  Json params;  // always an object (empty when absent)
  Json extra;   // every other top-level field (cid, externalId, priority, ...), verbatim
};

// Builds an Agenda from a parsed document. Problems of shape (operations not an array,
// a name that is not a string, ...) are added to `issues`; the returned agenda holds
// whatever could be read, so semantic validation can still run and report more. The
// rvalue form moves payloads and other fields out of `document` instead of copying them:
// an agenda may hold a million values.
Agenda parse_agenda(const Json& document, IssueList& issues);
Agenda parse_agenda(Json&& document, IssueList& issues);

// The inverse of parse_agenda: known fields plus `extra`, so unknown fields round-trip.
Json agenda_to_json(const Agenda& agenda);
Json operation_to_json(const Operation& operation);

// Lower-cases ASCII letters; operation names are compared through it.
std::string fold_name(std::string_view name);

// How issues name an operation: its name, or "#<index>" when it has none.
std::string operation_label(const Operation& operation, std::size_t index);

}  // namespace pop
