#include "service/audit/audit_trail.h"

#include "access/access_policy.h"
#include "util/time_format.h"

namespace pop::service {

AuditTrail::AuditTrail(store::Store& store, const Clock& clock, Logger& logger)
    : store_(store), clock_(clock), logger_(logger) {}

void AuditTrail::record(const auth::Principal& who, std::string_view action,
                        std::string_view target, const Error* error, Json details) {
  const store::AuditRecord record = make(who, action, target, error, std::move(details));
  if (auto appended = store_.append_audit(record); !appended) {
    logger_.error("audit record not written", {{"action", record.action},
                                               {"target", record.target},
                                               {"actor", record.actor},
                                               {"error", appended.error().message}});
  }
}

store::AuditRecord AuditTrail::make(const auth::Principal& who, std::string_view action,
                                    std::string_view target, const Error* error,
                                    Json details) const {
  store::AuditRecord record;
  record.time = clock_.now();
  record.actor = who.name;
  record.action = std::string(action);
  record.target = std::string(target);
  record.outcome = error == nullptr ? "ok" : error_code_name(error->code);
  details["role"] = auth::role_name(who.role);
  if (error != nullptr) details["message"] = error->message;
  record.details = std::move(details);
  return record;
}

Result<store::Page<store::AuditRecord>> AuditTrail::list(
    const auth::Principal& caller, const Result<store::AuditQuery>& query) const {
  if (auto allowed = access::check_read_audit(caller); !allowed) return fail(allowed.error());
  if (!query) return fail(query.error());
  return store_.list_audit(*query);
}

Json audit_record_to_json(const store::AuditRecord& record) {
  return {{"sequence", record.sequence}, {"time", format_time(record.time)},
          {"actor", record.actor},       {"action", record.action},
          {"target", record.target},     {"outcome", record.outcome},
          {"details", record.details}};
}

}  // namespace pop::service
