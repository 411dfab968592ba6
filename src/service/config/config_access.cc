#include "service/config/config_access.h"

#include <algorithm>

#include "access/access_policy.h"
#include "util/json_fields.h"

namespace pop::service {

using auth::Principal;
using store::DocumentKind;

namespace {

std::string action(DocumentKind kind, const char* verb) {
  return std::string(store::document_kind_name(kind)) + "." + verb;
}

// The owner a new template gets when it names none.
Caller owner_for(const Principal& caller) { return Caller{access::implied_customer(caller)}; }

}  // namespace

ConfigAccess::ConfigAccess(ConfigService& config, AuditTrail& audit)
    : config_(config), audit_(audit) {}

Result<ConfigDocument> ConfigAccess::visible_document(const Principal& caller, DocumentKind kind,
                                                      std::string_view id) {
  if (auto allowed = access::check_read_configuration(caller, kind); !allowed)
    return fail(allowed.error());
  auto document = config_.get(kind, id);
  if (document && !access::sees_document(caller, kind, document->document))
    return fail(missing_document(kind, id));
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
    if (insight && access::sees_document(caller, DocumentKind::kInsight, insight->document))
      shown.push_back(id);
  }
  *ids = std::move(shown);
}

Result<ConfigDocument> ConfigAccess::create(const Principal& caller, DocumentKind kind,
                                            const Json& body) {
  auto allowed = access::check_read_configuration(caller, kind);
  if (allowed) allowed = access::check_write_configuration(caller, kind, nullptr, &body);
  auto created = allowed ? config_.create(owner_for(caller), kind, body) : fail(allowed.error());
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
  if (auto allowed = access::check_read_configuration(caller, kind); !allowed)
    return fail(allowed.error());
  if (caller.is_admin()) return config_.list(kind, cursor, limit);
  limit = std::clamp<std::size_t>(limit, 1, store::kMaxPageLimit);
  // Invisible documents are skipped, not counted: read on until the page is full, asking
  // for no more than the places left so that a page always ends where a store page ends
  // (cursors are the store's).
  ConfigPage page;
  std::string next = cursor;
  for (;;) {
    auto stored = config_.list(kind, next, limit - page.items.size());
    if (!stored) return fail(stored.error());
    for (Json& document : stored->items) {
      if (!access::sees_document(caller, kind, document)) continue;
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
      stored ? access::check_write_configuration(caller, kind, &stored->document, &body)
             : fail(stored.error());
  auto replaced = allowed ? config_.replace(owner_for(caller), kind, id, body, expected_version)
                          : fail(allowed.error());
  return audit_.record(caller, action(kind, "replace"), id, std::move(replaced));
}

Result<void> ConfigAccess::remove(const Principal& caller, DocumentKind kind, std::string_view id) {
  auto stored = visible_document(caller, kind, id);
  Result<void> allowed =
      stored ? access::check_write_configuration(caller, kind, &stored->document, nullptr)
             : fail(stored.error());
  auto removed = allowed ? config_.remove(kind, id) : allowed;
  return audit_.record(caller, action(kind, "delete"), id, std::move(removed));
}

}  // namespace pop::service
