// Who may see and do what: every access rule of the server, as pure functions of the caller
// (an authenticated principal) and of facts about the object (its owner, its pool, whether
// it is shared). The services' access classes (AgendaAccess, ConfigAccess, TokenService,
// AuditTrail's listing, the template run) and the report route (which has the reporter's
// principal, the report service only its claims) ask here and apply the answer; nothing
// else decides. A reviewer of a security change reads this file and its
// table test (access_policy_test.cc), and docs/server.md ("Authentication and access")
// says the same in words.
//
// The shape of every answer: success, or the error to return. Two conventions hold across
// the rules:
// - What a caller may not see answers kNotFound in the words of a missing object (the
//   caller learns nothing of its existence); listings skip it silently.
// - What a caller may see but not do answers kForbidden, in words naming the rule.
// An operation report token (Role::kReporter) may only post its own reports.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/principal.h"
#include "store/store_types.h"
#include "util/result.h"

namespace pop::access {

// ---- Agendas ------------------------------------------------------------------------------

// What an agenda's access depends on: its customer and the pool it was bound to.
struct AgendaOwner {
  std::string_view customer_id;
  std::string_view resource_pool_id;
};

enum class AgendaVerb {
  kRead,    // the agenda, its progress, its explanation, its reports
  kChange,  // cancel, rerun, delete
  kLease,   // report progress on, or complete, a lease of it
};

// An agenda is visible to an admin, to the members of its customer, and to a puller of its
// pool (kNotFound "no agenda <id>" otherwise, as for a missing one). Changing it is for
// admins and its customer's members (a puller that sees it: kForbidden); its lease is for
// admins and its pool's pullers (a member: kForbidden). Whether the caller holds the lease
// is the lease key's question (AgendaAccess), not this one.
Result<void> check_agenda(const auth::Principal& caller, std::string_view agenda_id,
                          const AgendaOwner& owner, AgendaVerb verb);
// Whether check_agenda lets the caller read the agenda (without the error's words: the event
// stream asks it of every event).
bool sees_agenda(const auth::Principal& caller, const AgendaOwner& owner);

// Following the event stream (GET /v1/events): whoever may read agendas, admins, members
// and pullers; each event is then shown only to those who see_agenda its agenda. A reporter:
// kForbidden.
Result<void> check_follow_events(const auth::Principal& caller);

// Submitting an agenda, directly or by running a template: admins and members.
Result<void> check_submit(const auth::Principal& caller);

// Whether the caller may submit an agenda naming `customer_id` (its customerId): an admin for
// every customer, a member for its own. The agenda service asks it once it has read the agenda,
// and words the refusal (kForbidden naming the customer).
bool may_submit_for(const auth::Principal& caller, std::string_view customer_id);

// The customer an agenda submitted without customerId belongs to: an admin's goes to
// "default", as in a single-user install; a member of one account submits for it; a member
// of several must name one (empty: none implied).
std::string implied_customer(const auth::Principal& caller);

// Which agendas a listing may show.
struct AgendaListing {
  bool everything = false;                // an admin
  std::vector<std::string> customer_ids;  // otherwise: the agendas of these customers only
};
// Admins list all; members their customers' (a filter naming another customer lists
// nothing, which the caller checks with acts_for); pullers and reporters: kForbidden.
Result<AgendaListing> check_list_agendas(const auth::Principal& caller);

// Pulling a pool's agendas (and reading what a pull answer tells of its limits): admins and
// that pool's pullers.
Result<void> check_pull(const auth::Principal& caller, std::string_view resource_pool_id);

// Posting a handler report: only an operation's report token, whose scope the report
// service checks against the report.
Result<void> check_post_report(const auth::Principal& caller);

// ---- Configuration: resource pools, customers, insights, agenda templates -----------------

// Reading a kind at all: admins and members read every kind (each document then as
// sees_document says); a puller reads pools only.
Result<void> check_read_configuration(const auth::Principal& caller, store::DocumentKind kind);

// Whether the caller may see one document of `kind` (a kind the caller may read): pools are
// seen by members and by the pool's own pullers, a customer by its members, insights and
// templates by their owner's members and, as in POP, by every member when isGlobal or by
// the customers in allowedCustomerIds.
bool sees_document(const auth::Principal& caller, store::DocumentKind kind,
                   const nlohmann::json& document);

// The rule of sees_document for insights and templates, on their fields.
bool shared_with(const auth::Principal& caller, std::string_view owner, bool is_global,
                 const std::vector<std::string>& allowed_customer_ids);

// Writing (creating: `stored` null; replacing; deleting: `body` null) a document the caller
// can see. Pools, customers and insights are written by admins only. A member writes the
// templates of its own customers, never a global one; a member of several customers names
// the owner of a new template (kInvalidArgument otherwise).
Result<void> check_write_configuration(const auth::Principal& caller, store::DocumentKind kind,
                                       const nlohmann::json* stored, const nlohmann::json* body);

// Running an agenda template: admins and members. The template must also be visible to the
// caller (shared_with); one that is not answers as a missing template.
Result<void> check_run_template(const auth::Principal& caller);

// ---- API tokens and the audit log ---------------------------------------------------------

// Managing API tokens at all: admins and members.
Result<void> check_manage_tokens(const auth::Principal& caller);

// Issuing a token of `role`: an admin issues any, a member member tokens only (asked as soon
// as the role is read).
Result<void> check_issue_role(const auth::Principal& caller, auth::Role role);
// Issuing a token for `customer_ids`: a member only for its own customers (asked once the
// request is otherwise valid).
Result<void> check_issue_for(const auth::Principal& caller,
                             const std::vector<std::string>& customer_ids);

// Whether the caller manages (sees, revokes) a stored token: an admin every token, even one
// whose role is not known (nothing: a damaged record, which only an admin may clear), a
// member the member tokens whose customers are all its own.
bool manages_token(const auth::Principal& caller, std::optional<auth::Role> role,
                   const std::vector<std::string>& customer_ids);

// Reading the audit log: admins only.
Result<void> check_read_audit(const auth::Principal& caller);

// Reading the server's metrics on the API port (GET /metrics): admins only. A scraper that
// should hold no admin token scrapes --metrics-listen instead.
Result<void> check_read_metrics(const auth::Principal& caller);

}  // namespace pop::access
