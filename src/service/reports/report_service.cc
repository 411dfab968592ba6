#include "service/reports/report_service.h"

#include <functional>
#include <vector>

#include "util/crypto.h"

namespace pop::service {
using Json = nlohmann::json;

namespace {

// Unambiguous whatever the agenda id and operation name contain.
std::string output_id(std::string_view agenda_id, std::uint64_t epoch, std::string_view operation,
                      int attempt) {
  return Json::array({agenda_id, epoch, operation, attempt})
      .dump(-1, ' ', false, Json::error_handler_t::replace);
}

Error lease_not_held(std::string_view agenda_id, std::uint64_t epoch) {
  return {ErrorCode::kConflict,
          "the lease with epoch " + std::to_string(epoch) + " on agenda " + std::string(agenda_id) +
              " is no longer held",
          {}};
}

}  // namespace

ReportService::ReportService(store::Store& store, std::string secret, const Clock& clock)
    : store_(store), secret_(std::move(secret)), clock_(clock) {}

std::string ReportService::lease_key(std::string_view agenda_id, std::uint64_t epoch) const {
  return report_lease_key(secret_, agenda_id, epoch);
}

bool ReportService::is_lease_key(std::string_view agenda_id, std::uint64_t epoch,
                                 std::string_view presented) const {
  return constant_time_equal(lease_key(agenda_id, epoch), presented);
}

std::optional<ReportClaims> ReportService::verify(std::string_view token) const {
  return verify_report_token(secret_, token);
}

Result<void> ReportService::check_lease(std::string_view agenda_id, std::uint64_t epoch) {
  auto lease = store_.get_lease(agenda_id);
  if (!lease) return fail(lease.error());
  if (lease->holder.empty() || lease->epoch != epoch) return fail(lease_not_held(agenda_id, epoch));
  return {};
}

Result<void> ReportService::accept(const ReportClaims& claims, const HandlerReport& report) {
  if (auto held = check_lease(claims.agenda_id, claims.epoch); !held) {
    // To a handler, a deleted agenda is one more lease it no longer works under.
    if (held.error().code == ErrorCode::kNotFound)
      return fail(lease_not_held(claims.agenda_id, claims.epoch));
    return held;
  }
  if (report.output) {
    if (auto stored = store_output(claims, *report.output); !stored) return stored;
  }
  if (report.percent_complete || report.message) record_progress(claims, report);
  return {};
}

Result<void> ReportService::store_output(const ReportClaims& claims, const Json& output) {
  const WallTime now = clock_.now();
  store::DocumentRecord record{
      store::DocumentKind::kReportedOutput,
      output_id(claims.agenda_id, claims.epoch, claims.operation, claims.attempt),
      "",
      0,
      now,
      now,
      {{"agendaId", claims.agenda_id},
       {"epoch", claims.epoch},
       {"operation", claims.operation},
       {"attempt", claims.attempt},
       {"output", output}}};
  // Reports of one attempt write one document: on this server they take turns, so only
  // replicas can race, and then the version check settles who writes last.
  std::lock_guard turn(output_turns_[std::hash<std::string>{}(record.id) % output_turns_.size()]);
  auto created = store_.create_document(record);
  if (created) return {};
  if (created.error().code != ErrorCode::kConflict) return fail(created.error());
  for (int round = 0; round < 5; ++round) {
    auto existing = store_.get_document(record.kind, record.id);
    if (!existing) return fail(existing.error());
    auto updated = store_.update_document(record, existing->version);
    if (updated) return {};
    if (updated.error().code != ErrorCode::kConflict) return fail(updated.error());
  }
  // Not a 409: to a handler that means its lease is gone.
  return fail(ErrorCode::kUnavailable, "the output of operation \"" + claims.operation +
                                           "\" was being replaced concurrently; report it again");
}

void ReportService::record_progress(const ReportClaims& claims, const HandlerReport& report) {
  std::lock_guard lock(mutex_);
  LeaseProgress& lease = progress_[claims.agenda_id];
  if (lease.epoch > claims.epoch) return;  // the lease moved on while this report was checked
  if (lease.epoch < claims.epoch) lease = LeaseProgress{claims.epoch, {}};
  Progress& progress = lease.attempts[{claims.operation, claims.attempt}];
  if (report.percent_complete) progress.percent_complete = report.percent_complete;
  if (report.message) progress.message = report.message;
  progress.sequence = ++sequence_;
}

Result<ReportedProgress> ReportService::progress_since(std::string_view agenda_id,
                                                       std::uint64_t epoch, std::uint64_t after) {
  if (auto held = check_lease(agenda_id, epoch); !held) return fail(held.error());
  std::lock_guard lock(mutex_);
  ReportedProgress reported;
  reported.cursor = sequence_;
  auto it = progress_.find(std::string(agenda_id));
  if (it == progress_.end() || it->second.epoch != epoch) return reported;
  for (const auto& [key, progress] : it->second.attempts) {
    if (progress.sequence <= after) continue;
    reported.attempts.push_back(
        {key.first, key.second, progress.percent_complete, progress.message});
  }
  return reported;
}

Result<std::optional<Json>> ReportService::output(std::string_view agenda_id, std::uint64_t epoch,
                                                  std::string_view operation, int attempt) {
  if (auto held = check_lease(agenda_id, epoch); !held) return fail(held.error());
  auto stored = store_.get_document(store::DocumentKind::kReportedOutput,
                                    output_id(agenda_id, epoch, operation, attempt));
  if (!stored) {
    if (stored.error().code == ErrorCode::kNotFound) return std::optional<Json>();
    return fail(stored.error());
  }
  return std::optional<Json>(stored->document.value("output", Json()));
}

Result<std::size_t> ReportService::sweep() {
  // One lease read per agenda, whatever number of outputs it has. Epochs only grow, so a
  // lease read before a newer one was acquired can only prove that older ones ended.
  std::map<std::string, std::optional<store::LeaseRecord>, std::less<>> leases;
  auto ended = [&](const std::string& agenda_id, std::uint64_t epoch) -> Result<bool> {
    auto it = leases.find(agenda_id);
    if (it == leases.end()) {
      auto lease = store_.get_lease(agenda_id);
      if (!lease && lease.error().code != ErrorCode::kNotFound) return fail(lease.error());
      it = leases.emplace(agenda_id, lease ? std::optional(*lease) : std::nullopt).first;
    }
    const auto& lease = it->second;
    return !lease || lease->epoch > epoch || (lease->epoch == epoch && lease->holder.empty());
  };

  std::size_t deleted = 0;
  std::string cursor;
  for (;;) {
    auto page = store_.list_documents(
        {store::DocumentKind::kReportedOutput, std::nullopt, cursor, store::kMaxPageLimit});
    if (!page) return fail(page.error());
    for (const auto& record : page->items) {
      const Json& document = record.document;
      const bool readable = document.is_object() &&
                            document.value("agendaId", Json()).is_string() &&
                            document.value("epoch", Json()).is_number_unsigned();
      if (readable) {
        auto over =
            ended(document["agendaId"].get<std::string>(), document["epoch"].get<std::uint64_t>());
        if (!over) return fail(over.error());
        if (!*over) continue;
      }
      // Gone already (another replica swept it) or replaced meanwhile: either way not ours.
      auto removed = store_.delete_document(record.kind, record.id, record.version);
      if (removed)
        ++deleted;
      else if (removed.error().code != ErrorCode::kNotFound &&
               removed.error().code != ErrorCode::kConflict)
        return fail(removed.error());
    }
    cursor = page->next_cursor;
    if (!page->more) break;
  }

  std::vector<std::pair<std::string, std::uint64_t>> in_memory;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [agenda_id, lease] : progress_) in_memory.emplace_back(agenda_id, lease.epoch);
  }
  for (const auto& [agenda_id, epoch] : in_memory) {
    auto over = ended(agenda_id, epoch);
    if (!over) return fail(over.error());
    if (!*over) continue;
    std::lock_guard lock(mutex_);
    // A report under a newer lease may have arrived since it was read.
    if (auto it = progress_.find(agenda_id); it != progress_.end() && it->second.epoch == epoch)
      progress_.erase(it);
  }
  return deleted;
}

}  // namespace pop::service
