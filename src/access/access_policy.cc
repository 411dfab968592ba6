#include "access/access_policy.h"

#include <algorithm>

#include "util/json_fields.h"

namespace pop::access {

using auth::Principal;
using auth::Role;
using store::DocumentKind;
using Json = nlohmann::json;

namespace {

tl::unexpected<Error> reporter_refused() {
  return fail(ErrorCode::kForbidden,
              "an operation report token may only post reports (POST /v1/reports)");
}

bool is_admin_or_member(const Principal& caller) {
  return caller.role == Role::kAdmin || caller.role == Role::kMember;
}

std::vector<std::string> strings_of(const Json& document, const char* field) {
  std::vector<std::string> values;
  auto it = document.find(field);
  if (it == document.end() || !it->is_array()) return values;
  for (const Json& value : *it) {
    if (value.is_string()) values.push_back(value.get<std::string>());
  }
  return values;
}

bool shared_document(const Principal& caller, const Json& document) {
  auto global = document.find("isGlobal");
  return shared_with(caller, string_field(document, "customerId"),
                     global != document.end() && global->is_boolean() && global->get<bool>(),
                     strings_of(document, "allowedCustomerIds"));
}

}  // namespace

Result<void> check_agenda(const Principal& caller, std::string_view agenda_id,
                          const AgendaOwner& owner, AgendaVerb verb) {
  if (caller.role == Role::kReporter) return reporter_refused();
  const bool acts_for_owner = caller.acts_for(owner.customer_id);
  const bool pool_puller =
      caller.role == Role::kPuller && owner.resource_pool_id == caller.resource_pool_id;
  // Exactly what the store says of a missing agenda: an invisible one must not differ.
  if (!sees_agenda(caller, owner))
    return fail(ErrorCode::kNotFound, "no agenda " + std::string(agenda_id));
  if (verb == AgendaVerb::kChange && !acts_for_owner)
    return fail(ErrorCode::kForbidden, "a puller may not submit, cancel, rerun or delete agendas");
  if (verb == AgendaVerb::kLease && !caller.is_admin() && !pool_puller)
    return fail(ErrorCode::kForbidden, "only a puller of the agenda's pool reports on its lease");
  return {};
}

bool sees_agenda(const Principal& caller, const AgendaOwner& owner) {
  if (caller.role == Role::kReporter) return false;
  return caller.acts_for(owner.customer_id) ||
         (caller.role == Role::kPuller && owner.resource_pool_id == caller.resource_pool_id);
}

Result<void> check_follow_events(const Principal& caller) {
  if (caller.role == Role::kReporter) return reporter_refused();
  return {};
}

Result<void> check_submit(const Principal& caller) {
  if (is_admin_or_member(caller)) return {};
  return fail(ErrorCode::kForbidden, "only admins and customer members submit agendas");
}

bool may_submit_for(const Principal& caller, std::string_view customer_id) {
  return caller.acts_for(customer_id);
}

std::string implied_customer(const Principal& caller) {
  if (caller.is_admin()) return "default";
  if (caller.role == Role::kMember && caller.customer_ids.size() == 1)
    return caller.customer_ids.front();
  return "";
}

Result<AgendaListing> check_list_agendas(const Principal& caller) {
  switch (caller.role) {
    case Role::kAdmin:
      return AgendaListing{true, {}};
    case Role::kMember:
      return AgendaListing{false, caller.customer_ids};
    case Role::kPuller:
      return fail(ErrorCode::kForbidden, "a puller may not list agendas");
    case Role::kReporter:
      break;
  }
  return reporter_refused();
}

Result<void> check_pull(const Principal& caller, std::string_view resource_pool_id) {
  switch (caller.role) {
    case Role::kAdmin:
      return {};
    case Role::kPuller:
      if (caller.resource_pool_id == resource_pool_id) return {};
      return fail(ErrorCode::kForbidden, "this puller may pull only its own resource pool");
    case Role::kMember:
      return fail(ErrorCode::kForbidden, "only pullers pull agendas");
    case Role::kReporter:
      break;
  }
  return reporter_refused();
}

Result<void> check_post_report(const Principal& caller) {
  if (caller.role == Role::kReporter) return {};
  return fail(ErrorCode::kForbidden,
              "reports are posted with an operation's report token ($POP_REPORT_TOKEN)");
}

Result<void> check_read_configuration(const Principal& caller, DocumentKind kind) {
  switch (caller.role) {
    case Role::kAdmin:
    case Role::kMember:
      return {};
    case Role::kPuller:
      if (kind == DocumentKind::kResourcePool) return {};
      return fail(ErrorCode::kForbidden, "a puller reads no configuration but its pool");
    case Role::kReporter:
      break;
  }
  return reporter_refused();
}

bool sees_document(const Principal& caller, DocumentKind kind, const Json& document) {
  if (caller.is_admin()) return true;
  switch (kind) {
    case DocumentKind::kResourcePool:
      return caller.role == Role::kMember ||
             (caller.role == Role::kPuller &&
              caller.resource_pool_id == string_field(document, "id"));
    case DocumentKind::kCustomer:
      return caller.acts_for(string_field(document, "id"));
    case DocumentKind::kInsight:
    case DocumentKind::kAgendaTemplate:
      return shared_document(caller, document);
    default:
      return false;
  }
}

bool shared_with(const Principal& caller, std::string_view owner, bool is_global,
                 const std::vector<std::string>& allowed_customer_ids) {
  if (caller.acts_for(owner)) return true;
  if (caller.role != Role::kMember) return false;
  return is_global || std::any_of(allowed_customer_ids.begin(), allowed_customer_ids.end(),
                                  [&caller](const std::string& id) { return caller.acts_for(id); });
}

Result<void> check_write_configuration(const Principal& caller, DocumentKind kind,
                                       const Json* stored, const Json* body) {
  if (caller.is_admin()) return {};
  if (caller.role != Role::kMember || kind != DocumentKind::kAgendaTemplate)
    return fail(ErrorCode::kForbidden,
                "only an admin may change " + std::string(store::document_kind_name(kind)) + "s");
  if (stored != nullptr && !caller.acts_for(string_field(*stored, "customerId")))
    return fail(ErrorCode::kForbidden, "only the owner's members may change this template");
  if (body != nullptr) {
    auto owner = body->find("customerId");
    if (owner != body->end() &&
        (!owner->is_string() || !caller.acts_for(owner->get<std::string>())))
      return fail(ErrorCode::kForbidden, "a member may own templates only for its own customers");
    auto global = body->find("isGlobal");
    if (global != body->end() && *global == Json(true))
      return fail(ErrorCode::kForbidden, "only an admin may make a template global");
    if (owner == body->end() && stored == nullptr && caller.customer_ids.size() != 1)
      return fail(ErrorCode::kInvalidArgument,
                  "customerId: name the customer that owns the template");
  }
  return {};
}

Result<void> check_run_template(const Principal& caller) {
  if (is_admin_or_member(caller)) return {};
  return fail(ErrorCode::kForbidden, "only admins and customer members run templates");
}

Result<void> check_manage_tokens(const Principal& caller) {
  if (is_admin_or_member(caller)) return {};
  return fail(ErrorCode::kForbidden, "only admins and customer members manage API tokens");
}

Result<void> check_issue_role(const Principal& caller, Role role) {
  if (auto allowed = check_manage_tokens(caller); !allowed) return allowed;
  if (caller.is_admin() || role == Role::kMember) return {};
  return fail(ErrorCode::kForbidden, "a customer member may issue member tokens only");
}

Result<void> check_issue_for(const Principal& caller,
                             const std::vector<std::string>& customer_ids) {
  if (auto allowed = check_manage_tokens(caller); !allowed) return allowed;
  if (caller.is_admin()) return {};
  for (const std::string& id : customer_ids) {
    if (!caller.acts_for(id))
      return fail(ErrorCode::kForbidden,
                  "a member may issue tokens only for its own customers, not \"" + id + "\"");
  }
  return {};
}

bool manages_token(const Principal& caller, std::optional<Role> role,
                   const std::vector<std::string>& customer_ids) {
  if (caller.is_admin()) return true;
  if (caller.role != Role::kMember || role != Role::kMember) return false;
  return !customer_ids.empty() &&
         std::all_of(customer_ids.begin(), customer_ids.end(),
                     [&caller](const std::string& id) { return caller.acts_for(id); });
}

Result<void> check_read_audit(const Principal& caller) {
  if (caller.is_admin()) return {};
  return fail(ErrorCode::kForbidden, "only an admin may read the audit log");
}

Result<void> check_read_metrics(const Principal& caller) {
  if (caller.is_admin()) return {};
  return fail(ErrorCode::kForbidden, "only an admin may read the metrics");
}

}  // namespace pop::access
