#include "service/agenda_access.h"

namespace pop::service {

using auth::Principal;
using auth::Role;

namespace {

Error not_found(std::string_view id) {
  // Exactly what the store says of a missing agenda: an invisible one must not differ.
  return Error{ErrorCode::kNotFound, "no agenda " + std::string(id), {}};
}

// The same words whether the key is wrong or the lease ended (released, reclaimed, revoked):
// nothing here tells a caller which lease is current or who holds it.
Error lease_not_held(std::string_view agenda_id, std::uint64_t epoch) {
  return Error{ErrorCode::kConflict,
               "lease " + std::to_string(epoch) + " of agenda " + std::string(agenda_id) +
                   " is not held by the caller: it ended, or " + kLeaseKeyHeader +
                   " is not its reportKey",
               {}};
}

Error reporter_refused() {
  return Error{ErrorCode::kForbidden,
               "an operation report token may only post reports (POST /v1/reports)",
               {}};
}

}  // namespace

AgendaAccess::AgendaAccess(AgendaService& agendas, AuditTrail& audit, const ReportService& reports)
    : agendas_(agendas), audit_(audit), reports_(reports) {}

Result<Json> AgendaAccess::check(const Principal& caller, std::string_view agenda_id, Verb verb) {
  if (caller.role == Role::kReporter) return tl::unexpected(reporter_refused());
  auto agenda = agendas_.agenda(agenda_id);
  if (!agenda) return tl::unexpected(agenda.error());
  const std::string customer = agenda->value("customerId", "");
  const Json insight = agenda->value("agendaInsight", Json::object());
  const bool owner = caller.acts_for(customer);
  const bool pool_puller = caller.role == Role::kPuller &&
                           insight.value("resourcePoolId", "") == caller.resource_pool_id;
  if (!owner && !pool_puller) return tl::unexpected(not_found(agenda_id));
  if (verb == Verb::kChange && !owner)
    return fail(ErrorCode::kForbidden, "a puller may not submit, cancel, rerun or delete agendas");
  if (verb == Verb::kLease && !caller.is_admin() && !pool_puller)
    return fail(ErrorCode::kForbidden, "only a puller of the agenda's pool reports on its lease");
  return agenda;
}

Result<SubmittedAgenda> AgendaAccess::submit(const Principal& caller, std::string body,
                                             std::string idempotency_key) {
  if (caller.role != Role::kAdmin && caller.role != Role::kMember) {
    return audit_.record(
        caller, "agenda.submit", "",
        Result<SubmittedAgenda>(
            fail(ErrorCode::kForbidden, "only admins and customer members submit agendas")));
  }
  SubmitRequest request;
  // An admin's agenda without customerId is the default customer's, as in a single-user
  // install; a member of one account submits for it, a member of several names one.
  if (caller.is_admin()) {
    request.customer_id = "default";
  } else if (caller.customer_ids.size() == 1) {
    request.customer_id = caller.customer_ids.front();
  }
  request.body = std::move(body);
  request.idempotency_key = std::move(idempotency_key);
  request.may_act_for = [&caller](std::string_view customer) { return caller.acts_for(customer); };
  request.audit = audit_.make(caller, "agenda.submit", "", nullptr);
  auto submitted = agendas_.submit(request);
  // A stored agenda's record was written with it (a replay's the first time).
  if (submitted) return submitted;
  return audit_.record(caller, "agenda.submit", "", std::move(submitted));
}

Result<Json> AgendaAccess::agenda(const Principal& caller, std::string_view id) {
  return check(caller, id, Verb::kRead);  // the check has read it already
}

Result<Json> AgendaAccess::progress(const Principal& caller, std::string_view id) {
  if (auto allowed = check(caller, id, Verb::kRead); !allowed)
    return tl::unexpected(allowed.error());
  return agendas_.progress(id);
}

Result<Json> AgendaAccess::explain(const Principal& caller, std::string_view id) {
  if (auto allowed = check(caller, id, Verb::kRead); !allowed)
    return tl::unexpected(allowed.error());
  return agendas_.explain(id);
}

Result<void> AgendaAccess::check_read(const Principal& caller, std::string_view agenda_id) {
  auto allowed = check(caller, agenda_id, Verb::kRead);
  if (!allowed) return tl::unexpected(allowed.error());
  return {};
}

Result<Json> AgendaAccess::list(const Principal& caller, store::AgendaQuery query) {
  switch (caller.role) {
    case Role::kAdmin:
      break;
    case Role::kMember:
      // Never an error for another customer's filter, which would tell it exists: an empty
      // page, as for a customer without agendas.
      if (query.customer_id && !caller.acts_for(*query.customer_id))
        return Json{{"items", Json::array()}};
      query.customer_ids = caller.customer_ids;
      break;
    case Role::kPuller:
      return fail(ErrorCode::kForbidden, "a puller may not list agendas");
    case Role::kReporter:
      return tl::unexpected(reporter_refused());
  }
  return agendas_.list(query);
}

Result<void> AgendaAccess::remove(const Principal& caller, std::string_view id) {
  auto allowed = check(caller, id, Verb::kChange);
  auto removed = allowed ? agendas_.remove(id) : tl::unexpected(allowed.error());
  return audit_.record(caller, "agenda.delete", id, std::move(removed));
}

Result<Json> AgendaAccess::rerun(const Principal& caller, std::string_view id,
                                 const RerunRequest& request) {
  auto allowed = check(caller, id, Verb::kChange);
  auto rerun = allowed ? agendas_.rerun(id, request) : tl::unexpected(allowed.error());
  return audit_.record(caller, "agenda.rerun", id, std::move(rerun));
}

Result<Json> AgendaAccess::cancel(const Principal& caller, std::string_view id) {
  auto allowed = check(caller, id, Verb::kChange);
  auto cancelled = allowed ? agendas_.cancel(id) : tl::unexpected(allowed.error());
  return audit_.record(caller, "agenda.cancel", id, std::move(cancelled));
}

Result<void> AgendaAccess::check_pull(const Principal& caller,
                                      std::string_view resource_pool_id) const {
  if (caller.is_admin()) return {};
  if (caller.role == Role::kPuller && caller.resource_pool_id == resource_pool_id) return {};
  if (caller.role == Role::kPuller)
    return fail(ErrorCode::kForbidden, "this puller may pull only its own resource pool");
  if (caller.role == Role::kReporter) return tl::unexpected(reporter_refused());
  return fail(ErrorCode::kForbidden, "only pullers pull agendas");
}

Result<std::vector<LeasedAgenda>> AgendaAccess::pull(
    const Principal& caller, std::string_view resource_pool_id, std::string_view puller_id,
    std::size_t max, const std::optional<Resources>& available,
    const std::set<std::string>& skip_insight_ids) {
  if (auto allowed = check_pull(caller, resource_pool_id); !allowed)
    return tl::unexpected(allowed.error());
  auto leased = agendas_.pull(resource_pool_id, puller_id, max, available, skip_insight_ids);
  if (!leased) return leased;
  for (auto& agenda : *leased)
    agenda.lease_key = reports_.lease_key(agenda.agenda.value("id", ""), agenda.epoch);
  return leased;
}

Result<std::map<std::string, std::size_t>> AgendaAccess::execution_limits(
    const Principal& caller, std::string_view resource_pool_id) const {
  if (auto allowed = check_pull(caller, resource_pool_id); !allowed)
    return tl::unexpected(allowed.error());
  return agendas_.execution_limits(resource_pool_id);
}

Result<void> AgendaAccess::check_lease(const Principal& caller, std::string_view agenda_id,
                                       std::uint64_t epoch, std::string_view lease_key) {
  if (auto allowed = check(caller, agenda_id, Verb::kLease); !allowed)
    return tl::unexpected(allowed.error());
  if (!reports_.is_lease_key(agenda_id, epoch, lease_key))
    return tl::unexpected(lease_not_held(agenda_id, epoch));
  return {};
}

Result<void> AgendaAccess::report(const Principal& caller, std::string_view agenda_id,
                                  std::uint64_t epoch, std::string_view lease_key,
                                  const Json& progress) {
  if (auto held = check_lease(caller, agenda_id, epoch, lease_key); !held) return held;
  auto reported = agendas_.report(agenda_id, epoch, progress);
  // The store's words name the current epoch.
  if (!reported && reported.error().code == ErrorCode::kConflict)
    return tl::unexpected(lease_not_held(agenda_id, epoch));
  return reported;
}

Result<void> AgendaAccess::complete(const Principal& caller, std::string_view agenda_id,
                                    std::uint64_t epoch, std::string_view lease_key,
                                    const Json& progress) {
  if (auto held = check_lease(caller, agenda_id, epoch, lease_key); !held) return held;
  auto completed = agendas_.complete(agenda_id, epoch, progress);
  if (!completed && completed.error().code == ErrorCode::kConflict)
    return tl::unexpected(lease_not_held(agenda_id, epoch));
  return completed;
}

}  // namespace pop::service
