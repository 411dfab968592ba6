// The configuration documents of the server with POP's JSON field names: resource pools,
// customers, agenda templates, and insights (whose model is scheduler/queues/insight.h), plus the
// id rule they all share.
//
// Reading is strict: every problem is reported at once, one detail line per field
// ("weight: must be a number from 0.001 to 1000"), under kInvalidDocument. Fields a kind
// does not know are problems too, except for insights, whose model keeps them (`extra`).
// The server-owned fields `version`, `addedTime` and `updatedTime` (and a pool's computed
// `insightIds`) are ignored, so a document read with GET can be sent back with PUT. Rules
// that need the store (does the named pool exist?) belong to the ConfigService.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agenda/agenda.h"
#include "scheduler/queues/insight.h"

namespace pop::service {

// A well-formed but invalid configuration document (HTTP 422, "invalid_document").
inline constexpr ErrorCode kInvalidDocument = ErrorCode::kInvalidDocument;

// Configuration ids follow the rule of agenda names, and must be usable as one URL path
// segment: non-empty, at most 256 bytes, no control characters, no '/'. Otherwise
// kInvalidDocument whose message ("id: ...") says why.
Result<void> check_document_id(std::string_view id);

struct ResourcePool {
  std::string id;
  std::string title;
};

struct Customer {
  std::string id;
  std::string title;
  std::string billing_code;
  std::string resource_pool_id;  // empty: the server's default pool
  double weight = 1.0;           // its share under weightedFair insights
  // Quotas; unset means unlimited. Submits beyond maxWaitingAgendas are refused (429), and
  // pulls admit no more agendas once maxRunningAgendas of the customer's are executing.
  std::optional<std::int64_t> max_waiting_agendas;
  std::optional<std::int64_t> max_running_agendas;
  std::string kubernetes_namespace;  // an RFC 1123 label, or empty
};

struct AgendaTemplate {
  std::string id;
  std::string title;
  std::string customer_id;  // owner
  Json static_parameters = Json::object();
  Json params = Json::object();  // laid over the agenda's params when it runs
  Json agenda = Json::object();  // with @<...> tokens (agenda/template_binding.h)
  bool is_default_template = false;
  bool is_global = false;
  std::vector<std::string> allowed_customer_ids;
};

// Absent string fields read as "", absent lists and objects as empty; an absent id stays
// empty for the caller to fill in.
Result<ResourcePool> resource_pool_from_json(const Json& document);
Json resource_pool_to_json(const ResourcePool& pool);

Result<Customer> customer_from_json(const Json& document);
Json customer_to_json(const Customer& customer);

// Also checks the names of staticParameters (agenda/template_binding.h); the agenda itself
// is checked by the ConfigService, which can bind and validate it.
Result<AgendaTemplate> agenda_template_from_json(const Json& document);
Json agenda_template_to_json(const AgendaTemplate& agenda_template);

// insight_from_json with the rules of a stored insight on top: resourcePoolId is required,
// the algorithm must be known and algorithmConfig valid; errors as kInvalidDocument.
Result<scheduler::Insight> insight_document_from_json(const Json& document);

// POP's visibility rule for templates, as for insights: the owner, everyone when global,
// and the allowed customers.
bool visible_to(const AgendaTemplate& agenda_template, std::string_view customer_id);

}  // namespace pop::service
