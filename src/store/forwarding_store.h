// A Store that passes every call on to another one: the base of test doubles that change one
// method (fail it, throw from it, or do something between two calls of the code under test)
// and keep the real store's behaviour for the rest. Header-only: production code has no use
// for it.
#pragma once

#include "store/store.h"

namespace pop::store {

class ForwardingStore : public Store {
 public:
  // Borrows `target`, which must outlive this store.
  explicit ForwardingStore(Store& target) : target_(target) {}

  Result<InsertedAgenda> insert_agenda(const NewAgenda& agenda) override {
    return target_.insert_agenda(agenda);
  }
  Result<AgendaRecord> get_agenda(std::string_view id) override { return target_.get_agenda(id); }
  Result<Page<AgendaSummary>> list_agendas(const AgendaQuery& query) override {
    return target_.list_agendas(query);
  }
  Result<void> delete_agenda(std::string_view id) override { return target_.delete_agenda(id); }
  Result<std::vector<WaitingAgenda>> list_waiting_agendas() override {
    return target_.list_waiting_agendas();
  }

  Result<ProgressRecord> get_progress(std::string_view agenda_id) override {
    return target_.get_progress(agenda_id);
  }
  Result<void> update_progress(const ProgressRecord& progress,
                               std::optional<std::uint64_t> fence_epoch) override {
    return target_.update_progress(progress, fence_epoch);
  }

  Result<LeaseRecord> get_lease(std::string_view agenda_id) override {
    return target_.get_lease(agenda_id);
  }
  Result<std::uint64_t> acquire_lease(const LeaseAcquisition& request) override {
    return target_.acquire_lease(request);
  }
  std::vector<Result<std::uint64_t>> acquire_leases(
      const std::vector<LeaseAcquisition>& requests) override {
    return target_.acquire_leases(requests);
  }
  Result<void> renew_lease(std::string_view agenda_id, std::uint64_t epoch, WallTime expires_at,
                           const std::optional<ProgressRecord>& progress) override {
    return target_.renew_lease(agenda_id, epoch, expires_at, progress);
  }
  Result<void> release_lease(std::string_view agenda_id, std::uint64_t epoch,
                             const std::optional<ProgressRecord>& final_progress) override {
    return target_.release_lease(agenda_id, epoch, final_progress);
  }
  Result<std::uint64_t> revoke_lease(std::string_view agenda_id, std::uint64_t expected_epoch,
                                     const ProgressRecord& progress) override {
    return target_.revoke_lease(agenda_id, expected_epoch, progress);
  }
  Result<std::vector<LeaseRecord>> list_expired_leases(WallTime now, std::size_t limit) override {
    return target_.list_expired_leases(now, limit);
  }
  Result<std::int64_t> count_held_leases() override { return target_.count_held_leases(); }
  Result<void> reclaim_lease(std::string_view agenda_id, std::uint64_t epoch, WallTime now,
                             const std::optional<ProgressRecord>& requeue_progress) override {
    return target_.reclaim_lease(agenda_id, epoch, now, requeue_progress);
  }

  Result<std::int64_t> create_document(const DocumentRecord& record) override {
    return target_.create_document(record);
  }
  Result<std::int64_t> update_document(const DocumentRecord& record,
                                       std::int64_t expected_version) override {
    return target_.update_document(record, expected_version);
  }
  Result<DocumentRecord> get_document(DocumentKind kind, std::string_view id) override {
    return target_.get_document(kind, id);
  }
  Result<Page<DocumentRecord>> list_documents(const DocumentQuery& query) override {
    return target_.list_documents(query);
  }
  Result<void> delete_document(DocumentKind kind, std::string_view id,
                               std::optional<std::int64_t> expected_version) override {
    return target_.delete_document(kind, id, expected_version);
  }

  Result<AttemptLogState> append_attempt_log(const AttemptLogAppend& chunk) override {
    return target_.append_attempt_log(chunk);
  }
  Result<std::vector<AttemptLogState>> list_attempt_logs(std::string_view agenda_id,
                                                         std::string_view operation) override {
    return target_.list_attempt_logs(agenda_id, operation);
  }
  Result<std::vector<AttemptLogChunk>> read_attempt_log(std::string_view agenda_id,
                                                        std::string_view operation, int attempt,
                                                        std::uint64_t from_offset,
                                                        std::size_t limit) override {
    return target_.read_attempt_log(agenda_id, operation, attempt, from_offset, limit);
  }
  Result<std::size_t> delete_attempt_logs_before(WallTime cutoff, std::size_t limit) override {
    return target_.delete_attempt_logs_before(cutoff, limit);
  }

  Result<std::int64_t> append_audit(const AuditRecord& record) override {
    return target_.append_audit(record);
  }
  Result<Page<AuditRecord>> list_audit(const AuditQuery& query) override {
    return target_.list_audit(query);
  }

  std::unique_ptr<Watch> watch(WatchCallbacks callbacks) override {
    return target_.watch(std::move(callbacks));
  }
  PoolClaims* pool_claims() override { return target_.pool_claims(); }
  Result<void> probe_write(WallTime now) override { return target_.probe_write(now); }

 private:
  Store& target_;
};

}  // namespace pop::store
