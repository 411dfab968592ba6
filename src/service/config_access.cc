#include "service/config_access.h"

#include <algorithm>

#include "util/json_fields.h"

namespace pop::service {

using auth::Principal;
using auth::Role;
using store::DocumentKind;

namespace {

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

std::string action(DocumentKind kind, const char* verb) {
  return std::string(store::document_kind_name(kind)) + "." + verb;
}

// The owner a member's new template gets when it names none: its account, if it has one.
Caller owner_for(const Principal& caller) {
  if (caller.role == Role::kMember && caller.customer_ids.size() == 1)
    return Caller{caller.customer_ids.front()};
  return Caller{caller.is_admin() ? "default" : ""};
}

}  // namespace

bool shared_with(const Principal& caller, std::string_view owner, bool is_global,
                 const std::vector<std::string>& allowed_customer_ids) {
  if (caller.acts_for(owner)) return true;
  if (caller.role != Role::kMember) return false;
  return is_global || std::any_of(allowed_customer_ids.begin(), allowed_customer_ids.end(),
                                  [&caller](const std::string& id) { return caller.acts_for(id); });
}

ConfigAccess::ConfigAccess(ConfigService& config, AuditTrail& audit)
    : config_(config), audit_(audit) {}

Result<void> ConfigAccess::check_reads(const Principal& caller, DocumentKind kind) {
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
  return fail(ErrorCode::kForbidden,
              "an operation report token may only post reports (POST /v1/reports)");
}

bool ConfigAccess::visible(const Principal& caller, DocumentKind kind, const Json& document) {
  if (caller.is_admin()) return true;
  const std::string id = string_field(document, "id");
  switch (kind) {
    case DocumentKind::kResourcePool:
      return caller.role == Role::kMember ||
             (caller.role == Role::kPuller && caller.resource_pool_id == id);
    case DocumentKind::kCustomer:
      return caller.acts_for(id);
    case DocumentKind::kInsight:
    case DocumentKind::kAgendaTemplate:
      return shared_document(caller, document);
    default:
      return false;
  }
}

Result<void> ConfigAccess::check_write(const Principal& caller, DocumentKind kind,
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

Result<ConfigDocument> ConfigAccess::visible_document(const Principal& caller, DocumentKind kind,
                                                      std::string_view id) {
  if (auto allowed = check_reads(caller, kind); !allowed) return tl::unexpected(allowed.error());
  auto document = config_.get(kind, id);
  if (document && !visible(caller, kind, document->document))
    return tl::unexpected(missing_document(kind, id));
  if (document) shown_to(caller, kind, document->document);
  return document;
}

void ConfigAccess::shown_to(const Principal& caller, DocumentKind kind, Json& document) {
  // A pool lists its insights' ids: only those the caller may see, or the ids of private
  // insights would tell other customers what exists.
  auto ids = document.find("insightIds");
  if (caller.is_admin() || kind != DocumentKind::kResourcePool || ids == document.end() ||
      !ids->is_array())
    return;
  Json shown = Json::array();
  for (const Json& id : *ids) {
    if (!id.is_string()) continue;
    auto insight = config_.get(DocumentKind::kInsight, id.get<std::string>());
    if (insight && visible(caller, DocumentKind::kInsight, insight->document)) shown.push_back(id);
  }
  *ids = std::move(shown);
}

Result<ConfigDocument> ConfigAccess::create(const Principal& caller, DocumentKind kind,
                                            const Json& body) {
  auto allowed = check_reads(caller, kind);
  if (allowed) allowed = check_write(caller, kind, nullptr, &body);
  auto created =
      allowed ? config_.create(owner_for(caller), kind, body) : tl::unexpected(allowed.error());
  // The body is the client's: its id may be of any type, and only text names a target.
  const std::string target = string_field(created ? created->document : body, "id");
  return audit_.record(caller, action(kind, "create"), target, std::move(created));
}

Result<ConfigDocument> ConfigAccess::get(const Principal& caller, DocumentKind kind,
                                         std::string_view id) {
  return visible_document(caller, kind, id);
}

Result<ConfigPage> ConfigAccess::list(const Principal& caller, DocumentKind kind,
                                      const std::string& cursor, std::size_t limit) {
  if (auto allowed = check_reads(caller, kind); !allowed) return tl::unexpected(allowed.error());
  if (caller.is_admin()) return config_.list(kind, cursor, limit);
  limit = std::clamp<std::size_t>(limit, 1, store::kMaxPageLimit);
  // Invisible documents are skipped, not counted: read on until the page is full, asking
  // for no more than the places left so that a page always ends where a store page ends
  // (cursors are the store's).
  ConfigPage page;
  std::string next = cursor;
  for (;;) {
    auto stored = config_.list(kind, next, limit - page.items.size());
    if (!stored) return tl::unexpected(stored.error());
    for (Json& document : stored->items) {
      if (!visible(caller, kind, document)) continue;
      shown_to(caller, kind, document);
      page.items.push_back(std::move(document));
    }
    if (!stored->next_cursor || page.items.size() == limit) {
      page.next_cursor = stored->next_cursor;
      return page;
    }
    next = *stored->next_cursor;
  }
}

Result<ConfigDocument> ConfigAccess::replace(const Principal& caller, DocumentKind kind,
                                             std::string_view id, const Json& body,
                                             std::optional<std::int64_t> expected_version) {
  auto stored = visible_document(caller, kind, id);
  Result<void> allowed =
      stored ? check_write(caller, kind, &stored->document, &body) : tl::unexpected(stored.error());
  auto replaced = allowed ? config_.replace(owner_for(caller), kind, id, body, expected_version)
                          : tl::unexpected(allowed.error());
  return audit_.record(caller, action(kind, "replace"), id, std::move(replaced));
}

Result<void> ConfigAccess::remove(const Principal& caller, DocumentKind kind, std::string_view id) {
  auto stored = visible_document(caller, kind, id);
  Result<void> allowed = stored ? check_write(caller, kind, &stored->document, nullptr)
                                : tl::unexpected(stored.error());
  auto removed = allowed ? config_.remove(kind, id) : allowed;
  return audit_.record(caller, action(kind, "delete"), id, std::move(removed));
}

}  // namespace pop::service
