// The configuration service as callers reach it: who may read and write resource pools,
// customers, insights and agenda templates, with every write recorded in the audit trail.
//
// The rules (docs/server.md, "Access"):
// - Pools, customers and insights are written by admins only (kForbidden for others).
// - Pools are read by admins and members; a puller reads its own pool only.
// - A customer is read by admins and its members.
// - Insights and templates are read by admins, by the members of their owner, and, as in
//   POP, by everyone when isGlobal or by the customers in allowedCustomerIds.
// - A member writes the templates of its own customers, not global ones; a template it can
//   see but does not own answers kForbidden to a write.
// - Anything else a caller cannot see answers kNotFound exactly as a missing one; listings
//   skip it without saying so. Pullers and reporters have no business with the rest
//   (kForbidden).
//
// Thread-safety: as ConfigService.
#pragma once

#include "auth/principal.h"
#include "service/audit_trail.h"
#include "service/config_service.h"

namespace pop::service {

// Whether an insight or template (owner, isGlobal, allowedCustomerIds) is visible to the
// caller.
bool shared_with(const auth::Principal& caller, std::string_view owner, bool is_global,
                 const std::vector<std::string>& allowed_customer_ids);

class ConfigAccess {
 public:
  // Borrows both; they must outlive this object.
  ConfigAccess(ConfigService& config, AuditTrail& audit);

  Result<ConfigDocument> create(const auth::Principal& caller, store::DocumentKind kind,
                                const Json& body);
  Result<ConfigDocument> get(const auth::Principal& caller, store::DocumentKind kind,
                             std::string_view id);
  Result<ConfigPage> list(const auth::Principal& caller, store::DocumentKind kind,
                          const std::string& cursor, std::size_t limit);
  Result<ConfigDocument> replace(const auth::Principal& caller, store::DocumentKind kind,
                                 std::string_view id, const Json& body,
                                 std::optional<std::int64_t> expected_version);
  Result<void> remove(const auth::Principal& caller, store::DocumentKind kind, std::string_view id);

 private:
  // kForbidden when the caller may not read documents of this kind at all.
  static Result<void> check_reads(const auth::Principal& caller, store::DocumentKind kind);
  static bool visible(const auth::Principal& caller, store::DocumentKind kind,
                      const Json& document);
  // kForbidden unless the caller may write this document (body: the new one, if any).
  static Result<void> check_write(const auth::Principal& caller, store::DocumentKind kind,
                                  const Json* stored, const Json* body);
  // Leaves out of a visible document what the caller may not see (a pool's private
  // insights).
  void shown_to(const auth::Principal& caller, store::DocumentKind kind, Json& document);
  // The stored document, or kNotFound when missing or invisible.
  Result<ConfigDocument> visible_document(const auth::Principal& caller, store::DocumentKind kind,
                                          std::string_view id);

  ConfigService& config_;
  AuditTrail& audit_;
};

}  // namespace pop::service
