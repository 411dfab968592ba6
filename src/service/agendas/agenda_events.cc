#include "service/agendas/agenda_events.h"

namespace pop::service {

AgendaEvents::AgendaEvents(EventJournal& journal, store::Store& store,
                           std::size_t max_remembered_operations)
    : journal_(journal), store_(store), last_seen_(max_remembered_operations) {}

AgendaIdentity AgendaEvents::identity_of(const store::AgendaRecord& record) {
  return {record.id, record.customer_id, record.resource_pool_id, record.insight_id};
}

std::optional<AgendaIdentity> AgendaEvents::identity(std::string_view agenda_id) {
  const std::string id(agenda_id);
  if (auto known = last_seen_.identity(id)) return known;
  auto record = store_.get_agenda(id);
  if (!record) return std::nullopt;
  return identity_of(*record);
}

void AgendaEvents::publish(EventType type, const AgendaIdentity& agenda, WallTime now, Json data) {
  journal_.publish({type, agenda, now, data.is_null() ? Json::object() : std::move(data)});
}

void AgendaEvents::submitted(const store::AgendaRecord& record, bool held, WallTime now) {
  Json data = {{"held", held}, {"priority", record.priority}};
  if (!record.title.empty()) data["title"] = record.title;
  publish(EventType::kSubmitted, identity_of(record), now, std::move(data));
}

void AgendaEvents::leased(const AgendaIdentity& agenda, const store::LeaseAcquisition& lease,
                          std::uint64_t epoch, SeenProgress progress) {
  last_seen_.remember(agenda, std::move(progress));
  publish(EventType::kLeased, agenda, lease.now,
          {{"puller", lease.holder},
           {"epoch", epoch},
           {"leaseExpiresAt", format_time(lease.expires_at)}});
}

void AgendaEvents::publish_changes(const AgendaIdentity& agenda, const AgendaProgress& progress,
                                   const store::ProgressRecord& stored, WallTime now) {
  std::optional<AgendaProgress> before;
  if (!last_seen_.identity(agenda.agenda_id)) {
    // Not remembered: judged against the stored progress, parsed only in this case.
    if (auto parsed = agenda_progress_from_json(stored.document)) before = std::move(*parsed);
  }
  const ProgressChanges changes = last_seen_.update(agenda, progress, before ? &*before : nullptr);
  for (const OperationChange& change : changes.operations) {
    Json data = {{"operation", change.operation},
                 {"state", state_message_of(change.state)},
                 {"attempt", change.attempt}};
    if (change.previous) data["previous"] = state_message_of(*change.previous);
    publish(EventType::kOperation, agenda, now, std::move(data));
  }
  if (changes.percent_moved)
    publish(EventType::kProgress, agenda, now, {{"percentComplete", progress.percent_complete}});
}

void AgendaEvents::reported(const AgendaIdentity& agenda, const AgendaProgress& progress,
                            const store::ProgressRecord& stored, WallTime now) {
  publish_changes(agenda, progress, stored, now);
}

void AgendaEvents::completed(const AgendaIdentity& agenda, const AgendaProgress& progress,
                             const store::ProgressRecord& stored, bool requeued,
                             int attempts_completed, WallTime now) {
  publish_changes(agenda, progress, stored, now);
  last_seen_.forget(agenda.agenda_id);
  if (requeued) {
    publish(
        EventType::kRequeued, agenda, now,
        {{"attemptsCompleted", attempts_completed}, {"maximumAttempts", stored.maximum_attempts}});
    return;
  }
  publish(EventType::kCompleted, agenda, now,
          {{"outcome", progress.state_message()}, {"attemptsCompleted", attempts_completed}});
}

void AgendaEvents::cancelled(const AgendaIdentity& agenda, const store::ProgressRecord& written,
                             WallTime now) {
  if (auto progress = agenda_progress_from_json(written.document))
    publish_changes(agenda, *progress, written, now);
  last_seen_.forget(agenda.agenda_id);
  publish(EventType::kCancelled, agenda, now);
}

void AgendaEvents::rerun(const AgendaIdentity& agenda, bool held, WallTime now) {
  last_seen_.forget(agenda.agenda_id);
  publish(EventType::kRerun, agenda, now, {{"held", held}});
}

void AgendaEvents::deleted(const AgendaIdentity& agenda, WallTime now) {
  last_seen_.forget(agenda.agenda_id);
  publish(EventType::kDeleted, agenda, now);
}

void AgendaEvents::lease_lost(const AgendaIdentity& agenda, const store::LeaseRecord& lease,
                              WallTime now) {
  last_seen_.forget(agenda.agenda_id);
  publish(EventType::kLeaseLost, agenda, now, {{"puller", lease.holder}, {"epoch", lease.epoch}});
}

}  // namespace pop::service
