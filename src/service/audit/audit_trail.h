// The audit log as the services write it: who (the principal's name and role), what (an
// action such as "agenda.cancel" and its target), when, and the outcome ("ok", or the
// error code name such as "forbidden"). Denied attempts are recorded too: they are what an
// audit is most often asked about.
//
// A submit's record is written in the agenda's own transaction (AuditTrail::make). Other
// records are written after the action, not in its transaction: when the store refuses the
// record, the action stands and the failure is logged to stderr, so an unwritable audit log
// never takes the API down (a deliberate trade for availability).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "auth/principal.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/logger.h"

namespace pop::service {

using Json = nlohmann::json;

class AuditTrail {
 public:
  // Borrows the store and the logger (which hears of records that could not be written);
  // both must outlive the trail.
  AuditTrail(store::Store& store, const Clock& clock, Logger& logger);

  void record(const auth::Principal& who, std::string_view action, std::string_view target,
              const Error* error, Json details = Json::object());

  // The record `record` would write, for a write that appends it in its own transaction
  // (a submit: store::NewAgenda::audit).
  store::AuditRecord make(const auth::Principal& who, std::string_view action,
                          std::string_view target, const Error* error,
                          Json details = Json::object()) const;

  // A page of the log (GET /v1/audit), for a caller that may read it
  // (access::check_read_audit). `query` as the request gave it, its parse perhaps failed: a
  // caller that may not read the log hears that, not what was wrong with its query.
  Result<store::Page<store::AuditRecord>> list(const auth::Principal& caller,
                                               const Result<store::AuditQuery>& query) const;

  // Records the outcome of `result` and passes it on.
  template <typename T>
  Result<T> record(const auth::Principal& who, std::string_view action, std::string_view target,
                   Result<T> result) {
    record(who, action, target, result ? nullptr : &result.error());
    return result;
  }

 private:
  store::Store& store_;
  const Clock& clock_;
  Logger& logger_;
};

// One record as GET /v1/audit shows it.
Json audit_record_to_json(const store::AuditRecord& record);

}  // namespace pop::service
