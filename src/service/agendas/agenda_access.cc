#include "service/agendas/agenda_access.h"

namespace pop::service {

using auth::Principal;
using auth::Role;

namespace {

// The same words whether the key is wrong or the lease ended (released, reclaimed, revoked):
// nothing here tells a caller which lease is current or who holds it.
Error lease_not_held(std::string_view agenda_id, std::uint64_t epoch) {
  return Error{ErrorCode::kConflict,
               "lease " + std::to_string(epoch) + " of agenda " + std::string(agenda_id) +
                   " is not held by the caller: it ended, or " + kLeaseKeyHeader +
                   " is not its reportKey",
               {}};
}

}  // namespace

AgendaAccess::AgendaAccess(AgendaService& agendas, AuditTrail& audit, const ReportService& reports)
    : agendas_(agendas), audit_(audit), reports_(reports) {}

Result<Json> AgendaAccess::check(const Principal& caller, std::string_view agenda_id,
                                 access::AgendaVerb verb) {
  // A reporter is refused before the agenda is read (so it cannot tell a missing agenda
  // from another's); the policy decides, with no owner to go by.
  if (caller.role == Role::kReporter) {
    if (auto refused = access::check_agenda(caller, agenda_id, {}, verb); !refused)
      return fail(refused.error());
  }
  auto agenda = agendas_.agenda(agenda_id);
  if (!agenda) return agenda;
  const std::string customer = agenda->value("customerId", "");
  const std::string pool =
      agenda->value("agendaInsight", Json::object()).value("resourcePoolId", "");
  if (auto allowed = access::check_agenda(caller, agenda_id, {customer, pool}, verb); !allowed)
    return fail(allowed.error());
  return agenda;
}

Result<SubmittedAgenda> AgendaAccess::submit_text(const Principal& caller, std::string_view body,
                                                  std::string idempotency_key) {
  if (auto allowed = access::check_submit(caller); !allowed)
    return refused_submit(caller, std::move(allowed).error());
  auto document = parse_agenda_text(body, agendas_.limits());
  if (!document) return refused_submit(caller, std::move(document).error());
  return submit_allowed(caller, std::move(*document), std::move(idempotency_key));
}

Result<SubmittedAgenda> AgendaAccess::submit(const Principal& caller, Json document,
                                             std::string idempotency_key) {
  if (auto allowed = access::check_submit(caller); !allowed)
    return refused_submit(caller, std::move(allowed).error());
  return submit_allowed(caller, std::move(document), std::move(idempotency_key));
}

Result<SubmittedAgenda> AgendaAccess::refused_submit(const Principal& caller, Error error) {
  return audit_.record(caller, "agenda.submit", "",
                       Result<SubmittedAgenda>(fail(std::move(error))));
}

Result<SubmittedAgenda> AgendaAccess::submit_allowed(const Principal& caller, Json document,
                                                     std::string idempotency_key) {
  SubmitRequest request;
  request.customer_id = access::implied_customer(caller);
  request.document = std::move(document);
  request.idempotency_key = std::move(idempotency_key);
  request.may_act_for = [&caller](std::string_view customer) {
    return access::may_submit_for(caller, customer);
  };
  request.audit = audit_.make(caller, "agenda.submit", "", nullptr);
  auto submitted = agendas_.submit(std::move(request));
  // A stored agenda's record was written with it (a replay's the first time).
  if (submitted) return submitted;
  return audit_.record(caller, "agenda.submit", "", std::move(submitted));
}

Result<Json> AgendaAccess::agenda(const Principal& caller, std::string_view id) {
  return check(caller, id, access::AgendaVerb::kRead);  // the check has read it already
}

Result<Json> AgendaAccess::progress(const Principal& caller, std::string_view id) {
  if (auto allowed = check(caller, id, access::AgendaVerb::kRead); !allowed)
    return fail(allowed.error());
  return agendas_.progress(id);
}

Result<Json> AgendaAccess::explain(const Principal& caller, std::string_view id) {
  if (auto allowed = check(caller, id, access::AgendaVerb::kRead); !allowed)
    return fail(allowed.error());
  return agendas_.explain(id);
}

Result<void> AgendaAccess::check_read(const Principal& caller, std::string_view agenda_id) {
  auto allowed = check(caller, agenda_id, access::AgendaVerb::kRead);
  if (!allowed) return fail(allowed.error());
  return {};
}

Result<Json> AgendaAccess::list(const Principal& caller, store::AgendaQuery query) {
  auto listing = access::check_list_agendas(caller);
  if (!listing) return fail(listing.error());
  if (!listing->everything) {
    // Never an error for another customer's filter, which would tell it exists: an empty
    // page, as for a customer without agendas.
    if (query.customer_id && !caller.acts_for(*query.customer_id))
      return Json{{"items", Json::array()}};
    query.customer_ids = std::move(listing->customer_ids);
  }
  return agendas_.list(query);
}

Result<void> AgendaAccess::remove(const Principal& caller, std::string_view id) {
  auto allowed = check(caller, id, access::AgendaVerb::kChange);
  auto removed = allowed ? agendas_.remove(id) : fail(allowed.error());
  return audit_.record(caller, "agenda.delete", id, std::move(removed));
}

Result<Json> AgendaAccess::rerun(const Principal& caller, std::string_view id,
                                 const RerunRequest& request) {
  auto allowed = check(caller, id, access::AgendaVerb::kChange);
  auto rerun = allowed ? agendas_.rerun(id, request) : fail(allowed.error());
  return audit_.record(caller, "agenda.rerun", id, std::move(rerun));
}

Result<Json> AgendaAccess::cancel(const Principal& caller, std::string_view id) {
  auto allowed = check(caller, id, access::AgendaVerb::kChange);
  auto cancelled = allowed ? agendas_.cancel(id) : fail(allowed.error());
  return audit_.record(caller, "agenda.cancel", id, std::move(cancelled));
}

Result<void> AgendaAccess::check_pull(const Principal& caller,
                                      std::string_view resource_pool_id) const {
  return access::check_pull(caller, resource_pool_id);
}

Result<std::vector<LeasedAgenda>> AgendaAccess::pull(
    const Principal& caller, std::string_view resource_pool_id, std::string_view puller_id,
    std::size_t max, const std::optional<Resources>& available,
    const std::set<std::string>& skip_insight_ids) {
  if (auto allowed = check_pull(caller, resource_pool_id); !allowed) return fail(allowed.error());
  auto leased = agendas_.pull(resource_pool_id, puller_id, max, available, skip_insight_ids);
  if (!leased) return leased;
  for (auto& agenda : *leased)
    agenda.lease_key = reports_.lease_key(agenda.agenda.value("id", ""), agenda.epoch);
  return leased;
}

Result<std::map<std::string, std::size_t>> AgendaAccess::execution_limits(
    const Principal& caller, std::string_view resource_pool_id) const {
  if (auto allowed = check_pull(caller, resource_pool_id); !allowed) return fail(allowed.error());
  return agendas_.execution_limits(resource_pool_id);
}

Result<Json> AgendaAccess::check_lease(const Principal& caller, std::string_view agenda_id,
                                       std::uint64_t epoch, std::string_view lease_key) {
  auto allowed = check(caller, agenda_id, access::AgendaVerb::kLease);
  if (!allowed) return allowed;
  if (!reports_.is_lease_key(agenda_id, epoch, lease_key))
    return fail(lease_not_held(agenda_id, epoch));
  return allowed;
}

Result<void> AgendaAccess::report(const Principal& caller, std::string_view agenda_id,
                                  std::uint64_t epoch, std::string_view lease_key,
                                  const Json& progress) {
  if (auto held = check_lease(caller, agenda_id, epoch, lease_key); !held)
    return fail(held.error());
  auto reported = agendas_.report(agenda_id, epoch, progress);
  // The store's words name the current epoch.
  if (!reported && reported.error().code == ErrorCode::kConflict)
    return fail(lease_not_held(agenda_id, epoch));
  return reported;
}

Result<void> AgendaAccess::complete(const Principal& caller, std::string_view agenda_id,
                                    std::uint64_t epoch, std::string_view lease_key,
                                    const Json& progress) {
  if (auto held = check_lease(caller, agenda_id, epoch, lease_key); !held)
    return fail(held.error());
  auto completed = agendas_.complete(agenda_id, epoch, progress);
  if (!completed && completed.error().code == ErrorCode::kConflict)
    return fail(lease_not_held(agenda_id, epoch));
  return completed;
}

}  // namespace pop::service
