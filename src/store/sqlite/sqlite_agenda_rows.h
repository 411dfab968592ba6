// Row-level SQL on agendas, progress and leases shared by several SqliteStore methods.
// Every function runs on a connection the caller owns for the moment (the writer inside a
// savepoint, or a pooled reader) and does not manage transactions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/sqlite/sqlite_connection.h"
#include "store/store_types.h"
#include "util/result.h"

namespace pop::store::sqlite {

// Columns of an agenda in the order read_agenda_row expects, for "SELECT <this> FROM
// agendas a ...".
inline constexpr std::string_view kAgendaColumns =
    "a.id, a.customer_id, a.resource_pool_id, a.insight_id, a.link_id, a.title, a.priority, "
    "a.sequence, a.added_ms, a.updated_ms, a.document";

Result<AgendaRecord> read_agenda_row(const Statement& row);

// Columns of a progress row for "SELECT <this> FROM agendas a JOIN progress p ...", agenda
// id first.
inline constexpr std::string_view kProgressColumns =
    "a.id, p.processing_state, p.state_message, p.attempts_completed, p.maximum_attempts, "
    "p.percent_complete, p.updated_ms, p.document";

Result<ProgressRecord> read_progress_row(const Statement& row);

// Columns of an agenda listing, for "SELECT <this> FROM agendas a JOIN progress p ...": no
// document. Each table keeps its document as its last column, because SQLite reaches a
// column stored after a large value only by walking that value's overflow pages.
inline constexpr std::string_view kSummaryColumns =
    "a.id, a.customer_id, a.resource_pool_id, a.insight_id, a.link_id, a.title, a.priority, "
    "a.sequence, a.added_ms, p.processing_state, p.state_message, p.attempts_completed, "
    "p.maximum_attempts, p.percent_complete, p.updated_ms";
inline constexpr int kSummarySequenceColumn = 7;  // a.sequence, the listing's order

// kInternal naming the agenda when its progress state is unknown.
Result<AgendaSummary> read_summary_row(const Statement& row);

// A progress record with its document already serialized, so that JSON work happens on the
// calling thread and not on the single writer thread.
struct EncodedProgress {
  const ProgressRecord* record;
  std::string document;
};

Result<EncodedProgress> encode_progress(const ProgressRecord& record);
Result<std::optional<EncodedProgress>> encode_progress(const std::optional<ProgressRecord>& record);

// Inserts the progress row of a new agenda.
// Appends an audit record whose details are already encoded; returns its sequence.
Result<std::int64_t> insert_audit_row(Connection& db, const AuditRecord& record,
                                      const std::string& details);

Result<void> insert_progress(Connection& db, std::int64_t agenda_sequence,
                             const EncodedProgress& progress);
// Replaces the progress row of an existing agenda.
Result<void> replace_progress(Connection& db, std::int64_t agenda_sequence,
                              const EncodedProgress& progress);

// An agenda's key and lease columns.
struct LeaseRow {
  std::int64_t agenda_sequence = 0;
  std::uint64_t epoch = 0;
  std::optional<std::string> holder;  // set while held
  std::optional<std::int64_t> expires_ms;

  bool held_with(std::uint64_t fence) const { return holder.has_value() && epoch == fence; }
};

// kNotFound: no agenda with this id.
Result<LeaseRow> find_lease(Connection& db, std::string_view agenda_id);

// Writes the lease columns of `row` (creating the lease row when needed).
Result<void> store_lease(Connection& db, const LeaseRow& row);

// kConflict with a message saying why `epoch` is not a held lease of the agenda.
tl::unexpected<Error> lease_conflict(std::string_view agenda_id, const LeaseRow& row,
                                     std::uint64_t epoch);

}  // namespace pop::store::sqlite
