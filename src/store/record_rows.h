// How the SQL stores read their records back from result rows, and the other pieces of row
// handling that do not depend on the database: both schemas name and order these columns
// alike, so one reader serves both. `Row` is whatever a store's result rows are, with
// column_text(i) (a string_view), column_int64(i) and column_double(i).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/store_codec.h"
#include "store/store_types.h"
#include "util/result.h"

namespace pop::store {

// Columns of an agenda in the order read_agenda_row expects, for "SELECT <this> FROM
// agendas a ...".
inline constexpr std::string_view kAgendaColumns =
    "a.id, a.customer_id, a.resource_pool_id, a.insight_id, a.link_id, a.title, a.priority, "
    "a.sequence, a.added_ms, a.updated_ms, a.document";

// Columns of a progress row for "SELECT <this> FROM agendas a JOIN progress p ...", agenda
// id first.
inline constexpr std::string_view kProgressColumns =
    "a.id, p.processing_state, p.state_message, p.attempts_completed, p.maximum_attempts, "
    "p.percent_complete, p.updated_ms, p.document";

// Columns of an agenda listing, for "SELECT <this> FROM agendas a JOIN progress p ...": no
// document. Each table keeps its document as its last column, because SQLite reaches a
// column stored after a large value only by walking that value's overflow pages.
inline constexpr std::string_view kSummaryColumns =
    "a.id, a.customer_id, a.resource_pool_id, a.insight_id, a.link_id, a.title, a.priority, "
    "a.sequence, a.added_ms, p.processing_state, p.state_message, p.attempts_completed, "
    "p.maximum_attempts, p.percent_complete, p.updated_ms";
inline constexpr int kSummarySequenceColumn = 7;  // a.sequence, the listing's order

inline constexpr std::string_view kDocumentColumns =
    "kind, id, owner_customer_id, version, added_ms, updated_ms, document";
inline constexpr int kDocumentIdColumn = 1;

inline constexpr std::string_view kAuditColumns =
    "sequence, time_ms, actor, action, target, outcome, details";

// "customer acme": a configuration document in messages.
std::string describe(DocumentKind kind, std::string_view id);

// kInternal naming the agenda: stored text that is no state means the data was altered.
Result<ProcessingState> stored_state(std::string_view text, const std::string& agenda_id);

namespace record_rows_detail {

// The columns an agenda row and a summary row begin with, in the same order.
template <typename Row, typename Agenda>
void read_leading_agenda_columns(const Row& row, Agenda& agenda) {
  agenda.id = row.column_text(0);
  agenda.customer_id = row.column_text(1);
  agenda.resource_pool_id = row.column_text(2);
  agenda.insight_id = row.column_text(3);
  agenda.link_id = row.column_text(4);
  agenda.title = row.column_text(5);
  agenda.priority = static_cast<int>(row.column_int64(6));
  agenda.sequence = row.column_int64(kSummarySequenceColumn);
}

}  // namespace record_rows_detail

template <typename Row>
Result<AgendaRecord> read_agenda_row(const Row& row) {
  AgendaRecord agenda;
  record_rows_detail::read_leading_agenda_columns(row, agenda);
  agenda.added_time = from_millis(row.column_int64(8));
  agenda.updated_time = from_millis(row.column_int64(9));
  auto document = decode_json(row.column_text(10), "agenda " + agenda.id);
  if (!document) return fail(std::move(document.error()));
  agenda.document = std::move(*document);
  return agenda;
}

template <typename Row>
Result<ProgressRecord> read_progress_row(const Row& row) {
  ProgressRecord progress;
  progress.agenda_id = row.column_text(0);
  auto state = stored_state(row.column_text(1), progress.agenda_id);
  if (!state) return fail(std::move(state.error()));
  progress.processing_state = *state;
  progress.state_message = row.column_text(2);
  progress.attempts_completed = static_cast<int>(row.column_int64(3));
  progress.maximum_attempts = static_cast<int>(row.column_int64(4));
  progress.percent_complete = row.column_double(5);
  progress.updated_time = from_millis(row.column_int64(6));
  auto document = decode_json(row.column_text(7), "progress of agenda " + progress.agenda_id);
  if (!document) return fail(std::move(document.error()));
  progress.document = std::move(*document);
  return progress;
}

// kInternal naming the agenda when its progress state is unknown.
template <typename Row>
Result<AgendaSummary> read_summary_row(const Row& row) {
  AgendaSummary summary;
  record_rows_detail::read_leading_agenda_columns(row, summary);
  summary.added_time = from_millis(row.column_int64(8));
  auto state = stored_state(row.column_text(9), summary.id);
  if (!state) return fail(std::move(state.error()));
  summary.processing_state = *state;
  summary.state_message = row.column_text(10);
  summary.attempts_completed = static_cast<int>(row.column_int64(11));
  summary.maximum_attempts = static_cast<int>(row.column_int64(12));
  summary.percent_complete = row.column_double(13);
  summary.progress_updated_time = from_millis(row.column_int64(14));
  return summary;
}

template <typename Row>
Result<DocumentRecord> read_document_row(const Row& row) {
  DocumentRecord record;
  auto kind = parse_document_kind(row.column_text(0));
  if (!kind) return fail(ErrorCode::kInternal, "stored document of unknown kind");
  record.kind = *kind;
  record.id = row.column_text(kDocumentIdColumn);
  record.owner_customer_id = row.column_text(2);
  record.version = row.column_int64(3);
  record.added_time = from_millis(row.column_int64(4));
  record.updated_time = from_millis(row.column_int64(5));
  auto document = decode_json(row.column_text(6), describe(record.kind, record.id));
  if (!document) return fail(std::move(document.error()));
  record.document = std::move(*document);
  return record;
}

template <typename Row>
Result<AuditRecord> read_audit_row(const Row& row) {
  AuditRecord record;
  record.sequence = row.column_int64(0);
  record.time = from_millis(row.column_int64(1));
  record.actor = row.column_text(2);
  record.action = row.column_text(3);
  record.target = row.column_text(4);
  record.outcome = row.column_text(5);
  auto details = decode_json(row.column_text(6), "audit record " + std::to_string(record.sequence));
  if (!details) return fail(std::move(details.error()));
  record.details = std::move(*details);
  return record;
}

// A progress record with its document already serialized, so that JSON work happens on the
// calling thread and not on the single writer thread.
struct EncodedProgress {
  const ProgressRecord* record;
  std::string document;
};

Result<EncodedProgress> encode_progress(const ProgressRecord& record);
Result<std::optional<EncodedProgress>> encode_progress(const std::optional<ProgressRecord>& record);

// A NewAgenda with its documents serialized, as encode_progress does for progress.
struct EncodedNewAgenda {
  const NewAgenda* request;
  std::string document;
  EncodedProgress progress;
  std::optional<std::string> audit_details;  // set when request->audit is
};

Result<EncodedNewAgenda> encode_new_agenda(const NewAgenda& request);

// An agenda's key and lease columns.
struct LeaseRow {
  std::int64_t agenda_sequence = 0;
  std::uint64_t epoch = 0;
  std::optional<std::string> holder;  // set while held
  std::optional<std::int64_t> expires_ms;

  bool held_with(std::uint64_t fence) const { return holder.has_value() && epoch == fence; }
};

// The lease as the Store returns it.
LeaseRecord to_lease_record(std::string_view agenda_id, const LeaseRow& row);

// kConflict with a message saying why `epoch` is not a held lease of the agenda.
tl::unexpected<Error> lease_conflict(std::string_view agenda_id, const LeaseRow& row,
                                     std::uint64_t epoch);

// kConflict: the lease's epoch is not the one the caller read.
tl::unexpected<Error> epoch_mismatch(std::string_view agenda_id, const LeaseRow& row,
                                     std::uint64_t expected_epoch);

// NewAgenda::max_waiting: kResourceExhausted when `waiting` (counted up to `max`) fills it.
Result<void> waiting_quota(std::string_view customer_id, std::int64_t waiting, std::int64_t max);

// kUnavailable: a replica presented a pool fence it no longer holds (ask another replica).
tl::unexpected<Error> pool_fence_lost(const PoolFence& fence);

}  // namespace pop::store
