// The configuration service as callers reach it: who may read and write resource pools,
// customers, insights and agenda templates, with every write recorded in the audit trail.
//
// The rules are access/access_policy.h's (check_read_configuration, sees_document,
// check_write_configuration): what a caller cannot see answers kNotFound exactly as a
// missing document, and listings skip it without saying so.
//
// Thread-safety: as ConfigService.
#pragma once

#include "auth/principal.h"
#include "service/audit/audit_trail.h"
#include "service/config/config_service.h"

namespace pop::service {

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
