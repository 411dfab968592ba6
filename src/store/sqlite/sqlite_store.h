// The embedded Store: one SQLite database file in WAL mode under a data directory.
//
// Writes go through a WriteBatcher (group commit on one writer connection with
// synchronous=FULL: a returned write is on disk); reads use a pool of read-only
// connections that run alongside the writer. Safe against the process being killed at any
// instant: SQLite's WAL recovery on the next open keeps exactly the committed writes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "store/listing_page.h"
#include "store/sqlite/connection_pool.h"
#include "store/sqlite/sqlite_migrations.h"
#include "store/sqlite/write_batcher.h"
#include "store/store.h"

namespace pop::store::sqlite {

struct SqliteStoreOptions {
  std::filesystem::path data_directory;  // created (mode 0700) if missing
  // The database, created with mode 0600 whatever the umask; SQLite gives its -wal and -shm
  // files the database's mode.
  std::string file_name = "pop.db";
  std::size_t read_connections = 4;
  std::size_t max_batch = 512;  // most writes committed together
  // How long a write waits for a lock held by another process before kUnavailable.
  std::chrono::milliseconds busy_timeout{5000};
  // Caps the database file at this many pages (4 KiB each); writes beyond it fail with
  // kUnavailable like a full disk. 0: no cap.
  std::int64_t max_page_count = 0;
  // The registered SQLite VFS to use (empty: the default). Tests wrap the default one to
  // count syncs and inject I/O errors.
  std::string vfs;
  // Borrowed: where the group commit records its batches (store/commit_metrics.h). Null:
  // nowhere.
  metrics::MetricsRegistry* metrics = nullptr;
  // Where the store reports a record it cannot read back (store.h, "Unreadable records"):
  // one line naming it and why. Called on the reading thread; empty: nowhere.
  Warn warn;
};

class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) the database and brings its schema up to date.
  // kUnavailable: the directory or file cannot be created or opened, it is not a database,
  // or its schema is newer than this build knows.
  static Result<std::unique_ptr<SqliteStore>> open(const SqliteStoreOptions& options);
  // The same with another migration list, for testing upgrades.
  static Result<std::unique_ptr<SqliteStore>> open(const SqliteStoreOptions& options,
                                                   std::span<const Migration> migrations);

  ~SqliteStore() override;

  // How well group commit is working: commits against operations.
  WriteBatcher::Statistics write_statistics() const { return writer_->statistics(); }
  const std::filesystem::path& database_path() const { return database_path_; }

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
  SqliteStore(std::filesystem::path database_path, std::unique_ptr<WriteBatcher> writer,
              std::unique_ptr<ConnectionPool> readers, Warn warn);

  // `read` as it is, having reported it to warn_ when it is a record that cannot be read
  // back (kInternal).
  template <typename T>
  Result<T> reported(Result<T> read) const {
    if (!read && read.error().code == ErrorCode::kInternal && warn_)
      warn_("unreadable record: " + read.error().message);
    return read;
  }

  std::filesystem::path database_path_;
  std::unique_ptr<WriteBatcher> writer_;
  std::unique_ptr<ConnectionPool> readers_;
  const Warn warn_;
};

}  // namespace pop::store::sqlite
