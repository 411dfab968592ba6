// The durable store of the POP server: agendas with their progress, leases, configuration
// documents and the audit log. One interface, several implementations (SQLite embedded,
// PostgreSQL), all held to the one conformance suite in store_conformance.h.
//
// Contracts shared by every method:
// - Durability: a write that returns success is committed and synced; a crash of the
//   process (or of the machine, as far as the disk keeps its promises) afterwards loses
//   none of it. A write that returns an error changed nothing: each method is one
//   transaction. One exception no database avoids: when the commit itself fails
//   (kUnavailable, e.g. the sync failed) the outcome is unknown and the write may still
//   appear after a restart; callers retry with the same idempotency key or version.
// - Errors are values, never exceptions. kNotFound: an id the store does not have.
//   kConflict: a duplicate id, a version or lease epoch that no longer matches.
//   kUnavailable: the storage refused (I/O error, disk full, locked, closing); the caller
//   may retry later. kInvalidArgument: a cursor this store did not issue, or a document that
//   cannot be serialized (invalid UTF-8). kInternal: a bug, including stored data the store
//   cannot read back.
// - Unreadable records: a record whose stored data the store cannot read back (altered
//   behind its back, or written by a bug) fails its own reads by id with kInternal, and is
//   left out of every listing that reads the unreadable part, so that it hides none of its
//   neighbours; both are reported to the implementation's warning sink, naming the record.
//   (An agenda listing reads no document, so an agenda whose document alone is damaged is
//   still listed.) A left-out record still takes its place in the page: a page may hold
//   fewer than `limit` items (even none) while `more` is set, and its cursor leads past it.
// - Input is validated by the caller (ids non-empty, columns such as an agenda's title or
//   its progress' state and percentage matching the document); the store keeps what it is
//   given.
// - Time is never read inside the store: every instant comes from the caller, so leases
//   and expiry are tested with a fake clock.
// - Thread-safety: every method may be called from any thread, concurrently with any
//   other. Results are values owned by the caller. The Store must not be destroyed while
//   a call is in progress; destruction waits for writes already queued.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/attempt_log_types.h"
#include "store/pool_claims.h"
#include "store/store_types.h"
#include "util/result.h"

namespace pop::store {

// What another server sharing a store changed (Store::watch). Each callback may also be
// called for a change of this server's own.
struct WatchCallbacks {
  // The agenda started waiting, or went back to waiting (submitted, rerun, reclaimed), bound
  // to this insight (empty when not known): a server that does not keep the queues of the
  // insight's pool has nothing to do.
  std::function<void(const std::string& agenda_id, const std::string& insight_id)> agenda_waiting;
  // An insight or a customer was created, replaced or deleted (what servers keep in memory;
  // other kinds are read from the store each time).
  std::function<void(DocumentKind kind, const std::string& id)> document_changed;
  // Changes may have been missed (the watch just began, or its connection was lost and is
  // back): read again whatever is kept in memory.
  std::function<void()> resync;
};

// Ends its watch when destroyed; no callback runs after the destructor returns.
class Watch {
 public:
  virtual ~Watch() = default;
};

class Store {
 public:
  virtual ~Store() = default;

  // ---- Agendas ---------------------------------------------------------------------------

  // Stores the agenda and its initial progress together and assigns the agenda's sequence.
  // With an idempotency key already used by the same customer, writes nothing and returns
  // the first agenda's id and sequence with `replayed` set (whatever this request holds).
  // kConflict: an agenda with this id exists (and the key, if any, is new).
  virtual Result<InsertedAgenda> insert_agenda(const NewAgenda& agenda) = 0;

  // kNotFound: no agenda with this id.
  virtual Result<AgendaRecord> get_agenda(std::string_view id) = 0;

  // Summaries of the agendas matching every filter that is set, in sequence order, at most
  // `limit`. A page costs what its summaries cost: no agenda or progress document is read,
  // however large (the summary's columns are kept apart from the documents at write time).
  // Sequences become visible in order (no agenda ever appears behind one already listed),
  // so listing page after page, and on with the last page's cursor later, yields every
  // agenda exactly once even while others insert.
  // kInvalidArgument: a cursor this store did not issue.
  virtual Result<Page<AgendaSummary>> list_agendas(const AgendaQuery& query) = 0;

  // Removes the agenda with its progress, lease and idempotency key (the key can then be
  // used again). kNotFound: no agenda with this id.
  virtual Result<void> delete_agenda(std::string_view id) = 0;

  // Every agenda whose processing state is WAITING, in sequence order: the scheduler's
  // starting point after a restart. Unpaged: meant for startup, not for request paths; like a
  // listing, it reads no document.
  virtual Result<std::vector<WaitingAgenda>> list_waiting_agendas() = 0;

  // ---- Progress --------------------------------------------------------------------------

  // kNotFound: no agenda with this id.
  virtual Result<ProgressRecord> get_progress(std::string_view agenda_id) = 0;

  // Replaces the progress of `progress.agenda_id`. With `fence_epoch` set, applies only while
  // a lease with exactly that epoch is held on the agenda; otherwise (a newer epoch, or the
  // lease was released or reclaimed) kConflict and nothing changes. Without it the write is
  // unconditional (the server's own changes: cancel, rerun).
  // kNotFound: no agenda with this id (checked before the fence).
  virtual Result<void> update_progress(const ProgressRecord& progress,
                                       std::optional<std::uint64_t> fence_epoch) = 0;

  // ---- Leases ----------------------------------------------------------------------------
  //
  // A held lease stays held until released or reclaimed, even past expires_at: expiry only
  // makes it eligible for takeover (acquire) or reclaim. Fencing is by epoch alone, so a
  // late write from a holder whose lease expired is still accepted until someone else has
  // actually taken the agenda over.

  // kNotFound: no agenda with this id. An agenda never leased has epoch 0 and no holder.
  virtual Result<LeaseRecord> get_lease(std::string_view agenda_id) = 0;

  // Gives the agenda to `holder` until `expires_at` and returns the new epoch
  // (expected_epoch + 1), writing `progress` too when set.
  // kConflict: the current epoch is not expected_epoch, or the lease is held and expires
  // after `now`. kNotFound: no agenda with this id.
  virtual Result<std::uint64_t> acquire_lease(const LeaseAcquisition& request) = 0;

  // acquire_lease for each request, each succeeding or failing on its own as if alone, but
  // sharing durable commits: a puller taking n agendas waits for one sync, not n. Results are
  // in the order of `requests`.
  virtual std::vector<Result<std::uint64_t>> acquire_leases(
      const std::vector<LeaseAcquisition>& requests) = 0;

  // Moves the expiry of the lease held with `epoch` to `expires_at` and, when given, replaces
  // the agenda's progress with `progress` in the same write (a holder's report: one commit).
  // kConflict: no lease with that epoch is held, and nothing changes. kNotFound: no agenda
  // with this id.
  virtual Result<void> renew_lease(std::string_view agenda_id, std::uint64_t epoch,
                                   WallTime expires_at,
                                   const std::optional<ProgressRecord>& progress) = 0;

  // Ends the lease held with `epoch` (the holder is done), writing `final_progress` too when
  // set. kConflict: no lease with that epoch is held. kNotFound: no agenda with this id.
  virtual Result<void> release_lease(std::string_view agenda_id, std::uint64_t epoch,
                                     const std::optional<ProgressRecord>& final_progress) = 0;

  // Takes the agenda away from whoever holds its lease or is about to acquire it, and
  // writes `progress`: the server's own changes (cancel, rerun). Ends a held lease and moves
  // the epoch on by one in one transaction, so a puller that holds the agenda, or read the
  // epoch to acquire it, is fenced off. Returns the new epoch.
  // kConflict: the current epoch is not expected_epoch. kNotFound: no agenda with this id.
  virtual Result<std::uint64_t> revoke_lease(std::string_view agenda_id,
                                             std::uint64_t expected_epoch,
                                             const ProgressRecord& progress) = 0;

  // Held leases that expire at or before `now`, earliest expiry first, at most `limit`.
  virtual Result<std::vector<LeaseRecord>> list_expired_leases(WallTime now, std::size_t limit) = 0;
  // How many leases are held (expired ones not yet taken back included), by every server
  // sharing the store. For metrics: read at a scrape, not on a request's path.
  virtual Result<std::int64_t> count_held_leases() = 0;

  // Takes back an expired lease so the agenda can be queued again: the lease held with
  // `epoch` is ended and `requeue_progress` written when set, in one transaction.
  // kConflict: no lease with that epoch is held, or it expires after `now` (it was renewed).
  // kNotFound: no agenda with this id.
  virtual Result<void> reclaim_lease(std::string_view agenda_id, std::uint64_t epoch, WallTime now,
                                     const std::optional<ProgressRecord>& requeue_progress) = 0;

  // ---- Configuration documents ----------------------------------------------------------

  // Creates the document with version 1 and returns that version.
  // kConflict: a document of this kind with this id exists.
  virtual Result<std::int64_t> create_document(const DocumentRecord& record) = 0;

  // Replaces owner, document and updated_time if the stored version is `expected_version`,
  // and returns the new version. kConflict: the version differs. kNotFound: no such document.
  virtual Result<std::int64_t> update_document(const DocumentRecord& record,
                                               std::int64_t expected_version) = 0;

  // kNotFound: no such document.
  virtual Result<DocumentRecord> get_document(DocumentKind kind, std::string_view id) = 0;

  // Documents of one kind (and owner, when set) in id order.
  // kInvalidArgument: a cursor this store did not issue.
  virtual Result<Page<DocumentRecord>> list_documents(const DocumentQuery& query) = 0;

  // Deletes the document; with `expected_version` set, only at that version (else
  // kConflict). kNotFound: no such document.
  virtual Result<void> delete_document(DocumentKind kind, std::string_view id,
                                       std::optional<std::int64_t> expected_version) = 0;

  // ---- Audit log -------------------------------------------------------------------------

  // Appends one record and returns its sequence.
  virtual Result<std::int64_t> append_audit(const AuditRecord& record) = 0;

  // Records matching the filters that are set, in sequence order (or newest first).
  // kInvalidArgument: a cursor this store did not issue.
  virtual Result<Page<AuditRecord>> list_audit(const AuditQuery& query) = 0;

  // ---- Attempt logs ----------------------------------------------------------------------
  //
  // Kept per (agenda, operation, attempt) and removed with the agenda. Attempt numbers start
  // again at 1 when another lease runs the operation again (a rerun, a reclaimed agenda), so a
  // later lease's attempt replaces what an earlier lease stored under the same number.

  // Appends `chunk` when it starts where the attempt's log ends (offset == length) and the log
  // has not ended; otherwise writes nothing (a retry of a chunk already stored, or a gap). Either
  // way returns the state after, whose length tells the caller where to go on from.
  // kConflict: no lease with chunk.epoch is held on the agenda. kNotFound: no agenda.
  virtual Result<AttemptLogState> append_attempt_log(const AttemptLogAppend& chunk) = 0;

  // The state of each attempt of the operation with a stored log, by attempt number. Empty
  // when none (or no such agenda).
  virtual Result<std::vector<AttemptLogState>> list_attempt_logs(std::string_view agenda_id,
                                                                 std::string_view operation) = 0;

  // The chunks of one attempt's log that start at or after `from_offset`, in order, at most
  // `limit`. Empty when none.
  virtual Result<std::vector<AttemptLogChunk>> read_attempt_log(std::string_view agenda_id,
                                                                std::string_view operation,
                                                                int attempt,
                                                                std::uint64_t from_offset,
                                                                std::size_t limit) = 0;

  // Retention: deletes the logs of at most `limit` attempts last written before `cutoff`, and
  // returns how many it deleted (fewer than `limit`: none is left).
  virtual Result<std::size_t> delete_attempt_logs_before(WallTime cutoff, std::size_t limit) = 0;

  // ---- Changes made by other servers ----------------------------------------------------

  // Tells the caller what other servers sharing this store change, so that it can keep what
  // it holds in memory (queues, configuration) up to date: until the returned Watch is
  // destroyed, `callbacks` are called on a thread of the store's. Null: nobody else writes
  // this store (SQLite has one server per file), so there is nothing to hear.
  virtual std::unique_ptr<Watch> watch(WatchCallbacks callbacks) {
    (void)callbacks;
    return nullptr;
  }

  // ---- Replicas sharing the store -------------------------------------------------------

  // The claims on the resource pools' queues (store/pool_claims.h), owned by the store. Null
  // for a store only one server uses: that server owns every pool.
  virtual PoolClaims* pool_claims() { return nullptr; }

  // ---- Health ----------------------------------------------------------------------------

  // Makes one small durable write that changes nothing else the store holds (the instant of
  // the probe, in a place of its own): whether writes are accepted now, for readiness
  // checks. kUnavailable: the write failed (disk full, I/O error, locked, closing).
  virtual Result<void> probe_write(WallTime now) = 0;
};

}  // namespace pop::store
