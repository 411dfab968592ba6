// The Store on PostgreSQL: what several `pop server` replicas share (docs/high-availability.md).
//
// Writes go through a PgWriteBatcher (group commit on one writer connection: a returned write
// is committed, and synced as far as the server's synchronous_commit promises); reads use a
// pool of connections that run alongside it. Every check-then-act of one method runs in one
// transaction that first locks the rows it decides on (SELECT ... FOR UPDATE of the agenda),
// so the same method called on two replicas at once behaves as on one store: two pullers
// racing for an agenda, or a renewal racing a reclaim, can never both win.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "postgres/connection_pool.h"
#include "postgres/pg_migrations.h"
#include "store/listing_page.h"
#include "store/postgres/pg_pool_claims.h"
#include "store/postgres/pg_write_batcher.h"
#include "store/store.h"
#include "util/clock.h"

namespace pop::store::postgres {

struct PostgresStoreOptions {
  // A libpq connection URI or key=value string, without a password (open() refuses one).
  std::string uri;
  // Empty: PGPASSWORD or the password file (PGPASSFILE, ~/.pgpass), as libpq finds them.
  std::string password;
  std::size_t read_connections = 8;
  std::size_t max_batch = 512;  // most writes committed together
  // How often a watch reads everything again whatever it heard (Store::watch): the fallback
  // when notifications do not arrive (a pooler in transaction mode drops LISTEN).
  std::chrono::milliseconds resync_interval{30'000};
  // How long a read waits for a free connection, and the clock that times it.
  std::chrono::milliseconds acquire_timeout{5000};
  const Clock* clock = &system_clock();
  // Where the store reports a record it cannot read back (store.h, "Unreadable records").
  Warn warn;
  // Borrowed: where the group commit records its batches (store/commit_metrics.h). Null:
  // nowhere.
  metrics::MetricsRegistry* metrics = nullptr;
};

class PostgresStore final : public Store {
 public:
  // Connects, and brings the schema up to date (safely when several replicas start at once).
  // kUnavailable: the database cannot be reached, or its schema is newer than this build
  // knows. kInvalidArgument: the URI cannot be parsed, or holds a password.
  static Result<std::unique_ptr<PostgresStore>> open(const PostgresStoreOptions& options);
  // The same with another migration list, for testing upgrades.
  static Result<std::unique_ptr<PostgresStore>> open(
      const PostgresStoreOptions& options, std::span<const ::pop::postgres::Migration> migrations);

  ~PostgresStore() override;

  // How well group commit is working: commits against operations.
  PgWriteBatcher::Statistics write_statistics() const { return writer_->statistics(); }
  // Batches PostgreSQL rolled back and the store ran again (deadlocks, lost connections).
  std::uint64_t retried_batches() const { return writer_->retried_batches(); }

  Result<InsertedAgenda> insert_agenda(const NewAgenda& agenda) override;
  Result<AgendaRecord> get_agenda(std::string_view id) override;
  Result<Page<AgendaSummary>> list_agendas(const AgendaQuery& query) override;
  Result<void> delete_agenda(std::string_view id) override;
  Result<std::vector<WaitingAgenda>> list_waiting_agendas() override;

  Result<ProgressRecord> get_progress(std::string_view agenda_id) override;
  Result<void> update_progress(const ProgressRecord& progress,
                               std::optional<std::uint64_t> fence_epoch) override;

  Result<LeaseRecord> get_lease(std::string_view agenda_id) override;
  Result<std::uint64_t> acquire_lease(const LeaseAcquisition& request) override;
  Result<void> renew_lease(std::string_view agenda_id, std::uint64_t epoch, WallTime expires_at,
                           const std::optional<ProgressRecord>& progress) override;
  Result<void> release_lease(std::string_view agenda_id, std::uint64_t epoch,
                             const std::optional<ProgressRecord>& final_progress) override;
  Result<std::vector<LeaseRecord>> list_expired_leases(WallTime now, std::size_t limit) override;
  Result<std::int64_t> count_held_leases() override;
  std::vector<Result<std::uint64_t>> acquire_leases(
      const std::vector<LeaseAcquisition>& requests) override;
  Result<std::uint64_t> revoke_lease(std::string_view agenda_id, std::uint64_t expected_epoch,
                                     const ProgressRecord& progress) override;
  Result<void> reclaim_lease(std::string_view agenda_id, std::uint64_t epoch, WallTime now,
                             const std::optional<ProgressRecord>& requeue_progress) override;

  Result<std::int64_t> create_document(const DocumentRecord& record) override;
  Result<std::int64_t> update_document(const DocumentRecord& record,
                                       std::int64_t expected_version) override;
  Result<DocumentRecord> get_document(DocumentKind kind, std::string_view id) override;
  Result<Page<DocumentRecord>> list_documents(const DocumentQuery& query) override;
  Result<void> delete_document(DocumentKind kind, std::string_view id,
                               std::optional<std::int64_t> expected_version) override;

  Result<std::int64_t> append_audit(const AuditRecord& record) override;
  Result<Page<AuditRecord>> list_audit(const AuditQuery& query) override;

  // LISTEN on a connection of its own for what other replicas change (postgres/pg_listener.h):
  // every write that makes an agenda wait, every change of a configuration document.
  std::unique_ptr<Watch> watch(WatchCallbacks callbacks) override;

  // The claims on the resource pools' queues, on a connection of their own: a renewal must
  // not wait for a free reader, or for a batch of the group commit.
  PoolClaims* pool_claims() override { return &claims_; }

  Result<AttemptLogState> append_attempt_log(const AttemptLogAppend& chunk) override;
  Result<std::vector<AttemptLogState>> list_attempt_logs(std::string_view agenda_id,
                                                         std::string_view operation) override;
  Result<std::vector<AttemptLogChunk>> read_attempt_log(std::string_view agenda_id,
                                                        std::string_view operation, int attempt,
                                                        std::uint64_t from_offset,
                                                        std::size_t limit) override;
  Result<std::size_t> delete_attempt_logs_before(WallTime cutoff, std::size_t limit) override;

  Result<void> probe_write(WallTime now) override;

 private:
  explicit PostgresStore(const PostgresStoreOptions& options);

  // `read` as it is, having reported it to warn_ when it is a record that cannot be read
  // back (kInternal).
  template <typename T>
  Result<T> reported(Result<T> read) const {
    if (!read && read.error().code == ErrorCode::kInternal && warn_)
      warn_("unreadable record: " + read.error().message);
    return read;
  }

  // Runs `read_with(connection)` on a pooled connection. A connection that turns out broken
  // (it sat idle while PostgreSQL restarted) is dropped and the read runs once more on a new
  // one, so a restart of the database costs readers nothing.
  template <typename Read>
  auto read(Read read_with) -> decltype(read_with(std::declval<::pop::postgres::Connection&>())) {
    for (int attempt = 1;; ++attempt) {
      auto db = readers_.acquire();
      if (!db) return fail(std::move(db.error()));
      auto result = read_with(**db);
      if (result || (*db)->healthy() || attempt == 2) return result;
    }
  }

  const PostgresStoreOptions options_;
  const Warn warn_;
  ::pop::postgres::ConnectionPool readers_;
  ::pop::postgres::ConnectionPool writer_connection_;
  std::unique_ptr<PgWriteBatcher> writer_;  // its thread uses writer_connection_
  ::pop::postgres::ConnectionPool claims_connection_;
  PgPoolClaims claims_;
};

}  // namespace pop::store::postgres
