// The agenda service as callers reach it: each call names its principal, and the rules of
// who may see and do what are applied here, before the service runs, and the changes are
// recorded in the audit trail. The REST routes and the embedded puller both go through this
// class, so no path to an agenda skips the rules.
//
// The rules are access/access_policy.h's (check_agenda, check_submit, check_list_agendas,
// check_pull); this class reads the facts they need and applies the answer. Beyond them:
// - A lease belongs to whoever pulled it: reporting progress and completing need the
//   lease's key, which only the pull answer carries (LeasedAgenda::lease_key). Anyone else
//   (another puller of the pool, an admin) gets kConflict, with the message of a lease that
//   ended, which names neither the current epoch nor the holder.
//
// Why a key and not the holder's name: the key goes wherever the assignment goes (a
// puller's executor Pod reports under its own puller id), needs nothing stored, holds
// across restarts and replicas (it derives from the stored report secret), and a puller
// id is the caller's own claim, which binds nothing.
//
// Thread-safety: as AgendaService.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "access/access_policy.h"
#include "auth/principal.h"
#include "service/agendas/agenda_service.h"
#include "service/audit/audit_trail.h"
#include "service/reports/report_service.h"

namespace pop::service {

class AgendaAccess {
 public:
  // Borrows all three; they must outlive this object. `reports` makes and checks lease keys.
  AgendaAccess(AgendaService& agendas, AuditTrail& audit, const ReportService& reports);

  // An agenda received as text (a request body): parsed once, within the service's limits,
  // after the caller's right to submit is checked, then as submit.
  Result<SubmittedAgenda> submit_text(const auth::Principal& caller, std::string_view body,
                                      std::string idempotency_key);
  // REQUIRES: `document` within the service's limits (parse_agenda_text or
  // check_agenda_document).
  Result<SubmittedAgenda> submit(const auth::Principal& caller, Json document,
                                 std::string idempotency_key);
  Result<Json> agenda(const auth::Principal& caller, std::string_view id);
  Result<Json> progress(const auth::Principal& caller, std::string_view id);
  Result<Json> explain(const auth::Principal& caller, std::string_view id);
  Result<Json> list(const auth::Principal& caller, store::AgendaQuery query);
  Result<void> remove(const auth::Principal& caller, std::string_view id);
  Result<Json> rerun(const auth::Principal& caller, std::string_view id,
                     const RerunRequest& request);
  Result<Json> cancel(const auth::Principal& caller, std::string_view id);

  // Each leased agenda with its lease_key.
  Result<std::vector<LeasedAgenda>> pull(const auth::Principal& caller,
                                         std::string_view resource_pool_id,
                                         std::string_view puller_id, std::size_t max,
                                         const std::optional<Resources>& available,
                                         const std::set<std::string>& skip_insight_ids = {});
  // What a pull answer tells the puller of the pool's executionLimits; errors as for pull.
  Result<std::map<std::string, std::size_t>> execution_limits(
      const auth::Principal& caller, std::string_view resource_pool_id) const;
  // kForbidden for a caller that may not pull the pool: the pull routes check this before
  // they hold a long poll open.
  Result<void> check_pull(const auth::Principal& caller, std::string_view resource_pool_id) const;
  // Whether this server keeps the pool's queues (always, unless replicas share the store).
  bool keeps_queues(std::string_view resource_pool_id) const {
    return agendas_.ownership().owns(resource_pool_id);
  }
  // Replicas: where the pool's owner serves pulls, when another replica owns its queues.
  std::optional<std::string> pull_elsewhere(std::string_view resource_pool_id) const {
    return agendas_.ownership().owner_address(resource_pool_id);
  }
  // `lease_key` (raw bytes) must be the lease's: kConflict otherwise, as when the lease
  // ended. Then as AgendaService::report / complete, with their kConflict in the same words.
  Result<void> report(const auth::Principal& caller, std::string_view agenda_id,
                      std::uint64_t epoch, std::string_view lease_key, const Json& progress);
  Result<void> complete(const auth::Principal& caller, std::string_view agenda_id,
                        std::uint64_t epoch, std::string_view lease_key, const Json& progress);

  // Success when the caller may read the agenda (its reports, for instance); errors as above.
  Result<void> check_read(const auth::Principal& caller, std::string_view agenda_id);
  // The agenda, when the caller may report on the lease and presents its key (what report()
  // checks first; attempt logs are shipped under the same rule).
  Result<Json> check_lease(const auth::Principal& caller, std::string_view agenda_id,
                           std::uint64_t epoch, std::string_view lease_key);

 private:
  // A refused submit, recorded in the audit trail.
  Result<SubmittedAgenda> refused_submit(const auth::Principal& caller, Error error);
  // A submit the policy allowed: the service stores it with its audit record.
  Result<SubmittedAgenda> submit_allowed(const auth::Principal& caller, Json document,
                                         std::string idempotency_key);
  // The agenda when the caller may act on it with `verb`; the policy's error otherwise.
  Result<Json> check(const auth::Principal& caller, std::string_view agenda_id,
                     access::AgendaVerb verb);

  AgendaService& agendas_;
  AuditTrail& audit_;
  const ReportService& reports_;
};

}  // namespace pop::service
