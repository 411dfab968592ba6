// The plain records the Store reads and writes. They carry no behaviour: every rule about
// what a valid agenda or progress document is lives above the store, which only keeps
// what it is given and enforces the few invariants listed on Store's methods.
//
// Times are kept at millisecond precision (a WallTime with a finer part comes back
// truncated towards the past), which is what POP's documents carry anyway.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/operation_state.h"
#include "util/result.h"
#include "util/time_format.h"

namespace pop::store {

using Json = nlohmann::json;

// Pages never hold more than this many items, whatever limit the caller asks for.
inline constexpr std::size_t kMaxPageLimit = 1000;

// The page size a listing uses for a requested `limit`.
inline std::size_t clamp_page_limit(std::size_t limit) {
  return limit < 1 ? 1 : (limit > kMaxPageLimit ? kMaxPageLimit : limit);
}

// One page of a listing. Cursors are opaque: only the Store implementation that issued one
// may interpret it.
template <typename T>
struct Page {
  std::vector<T> items;
  // Where the next page starts: just after the last item of this page (or, for an empty
  // page, where this one started). Always usable, also after the last page: listing again
  // with it later returns only what was added since (tailing).
  std::string next_cursor;
  // True when more items existed after this page when it was read.
  bool more = false;
};

// ---------------------------------------------------------------------------------------
// Agendas

struct AgendaRecord {
  std::string id;  // chosen by the caller, unique across the store
  std::string customer_id;
  std::string resource_pool_id;
  std::string insight_id;
  std::string link_id;  // empty when the agenda has none
  // The document's title, empty when it has none: kept apart so that listings show it
  // without reading the document. Like every column, it must agree with the document.
  std::string title;
  int priority = 0;
  // Assigned by the store at insert: strictly increasing in commit order and never reused,
  // so it is both the FIFO order and a stable listing cursor. Ignored on insert.
  std::int64_t sequence = 0;
  WallTime added_time;
  WallTime updated_time;
  Json document;  // the agenda as submitted; the store never looks inside
};

// The queryable part of an AgendaProgress plus the whole document. The columns must agree
// with the document; the store keeps both as given.
struct ProgressRecord {
  std::string agenda_id;
  ProcessingState processing_state = ProcessingState::kWaiting;
  std::string state_message;  // "pending", "queued", "running", "succeeded", ...
  int attempts_completed = 0;
  int maximum_attempts = 0;
  double percent_complete = 0;  // the document's percentComplete
  WallTime updated_time;
  Json document;
};

// One entry of the audit log (see "Audit log" below).
struct AuditRecord {
  std::int64_t sequence = 0;  // assigned by the store, increasing; ignored on append
  WallTime time;
  std::string actor;    // who: a customer, token or component id
  std::string action;   // e.g. "agenda.submit"
  std::string target;   // the object acted on
  std::string outcome;  // e.g. "ok", "denied", "conflict"
  Json details;
};

struct NewAgenda {
  AgendaRecord agenda;
  // Its agenda_id is ignored: the progress always belongs to `agenda.id`.
  ProgressRecord progress;
  // Empty for none. Scoped to agenda.customer_id: the same customer submitting the same key
  // again gets the first agenda back instead of a new one.
  std::string idempotency_key;
  // Appended to the audit log in the same transaction (not on a replay), so the record of a
  // submit costs no commit of its own and exists exactly when the agenda does.
  std::optional<AuditRecord> audit;
  // The customer's quota of agendas waiting for a puller (maxWaitingAgendas): when set, the
  // insert is refused with kResourceExhausted if the customer has this many already. Counted
  // in the inserting transaction, after any replay, so that submits to several replicas at
  // once cannot overfill it. Waiting for a puller: WAITING, no lease held, not held back
  // (kHeldStateMessage).
  std::optional<std::int64_t> max_waiting;
};

// The state message of an agenda that waits without being queued (params.doNotRun, or a
// rerun with skipExecution) until a rerun releases it.
inline constexpr char kHeldStateMessage[] = "held";

struct InsertedAgenda {
  std::string agenda_id;  // the new agenda's id, or on a replay the first one's
  std::int64_t sequence = 0;
  bool replayed = false;  // true when the idempotency key matched and nothing was written
};

// An agenda as listings return it: the columns of the agenda and of its progress, never their
// documents, so that a page costs the same whatever its agendas hold (read whole, a page of a
// thousand agendas of 32 MiB each would cost tens of GB).
struct AgendaSummary {
  std::string id;
  std::string customer_id;
  std::string resource_pool_id;
  std::string insight_id;
  std::string link_id;
  std::string title;
  int priority = 0;
  std::int64_t sequence = 0;
  WallTime added_time;
  // From its progress record.
  ProcessingState processing_state = ProcessingState::kWaiting;
  std::string state_message;
  int attempts_completed = 0;
  int maximum_attempts = 0;
  double percent_complete = 0;
  WallTime progress_updated_time;
};

struct AgendaQuery {
  std::optional<std::string> customer_id;
  // When non-empty, only agendas of one of these customers: what a member of several
  // customer accounts may see.
  std::vector<std::string> customer_ids;
  std::optional<std::string> link_id;
  std::optional<std::string> insight_id;
  std::optional<ProcessingState> processing_state;
  std::string cursor;       // empty: from the first agenda
  std::size_t limit = 100;  // clamped to [1, kMaxPageLimit]
};

// What the scheduler needs to rebuild its in-memory index of waiting agendas.
struct WaitingAgenda {
  std::string id;
  std::string customer_id;
  std::string insight_id;
  std::int64_t sequence = 0;
  int priority = 0;
  WallTime added_time;
  bool leased = false;        // a lease is held on it (handed to a puller, not yet started)
  std::string state_message;  // the progress' processingStateMessage, e.g. "pending"
  std::string resource_pool_id;
};

// ---------------------------------------------------------------------------------------
// Leases

// The lease state of one agenda. An agenda that was never leased has epoch 0 and no holder.
// The epoch only grows: each successful acquire adds one, so a holder that lost its lease can
// never write again with the epoch it was given (fencing).
struct LeaseRecord {
  std::string agenda_id;
  std::uint64_t epoch = 0;
  std::string holder;                  // empty when nobody holds it
  std::optional<WallTime> expires_at;  // set exactly when holder is non-empty
};

// A replica's claim on the queues of one resource pool, as it must present it to hand out.
struct PoolFence {
  std::string pool_id;
  std::string owner;  // the replica's id
  std::uint64_t fence = 0;
};

struct LeaseAcquisition {
  std::string agenda_id;
  std::string holder;  // non-empty: who is being given the agenda (a puller's id)
  // Compare-and-set: the epoch the caller last read with get_lease().
  std::uint64_t expected_epoch = 0;
  WallTime now;  // a lease that expires at or before `now` may be taken over
  WallTime expires_at;
  // Written in the same transaction when set, so that handing an agenda out and marking
  // it as such cannot be separated by a crash.
  std::optional<ProgressRecord> progress;
  // Set by a replica sharing the store: refused with kUnavailable unless it still holds its
  // claim on the agenda's resource pool with this fence, checked in the transaction that
  // writes the lease (store/pool_claims.h). So a former owner hands out nothing.
  std::optional<PoolFence> pool_fence = {};
};

// ---------------------------------------------------------------------------------------
// Configuration documents

// Stored by name, so adding a kind needs no schema change.
// kReportedOutput: an output a handler posted to the report endpoint
// (service/reports/report_service.h); kServerSecret: keys the server computes with, such as the
// report token secret.
enum class DocumentKind {
  kCustomer,
  kResourcePool,
  kInsight,
  kAgendaTemplate,
  kApiToken,
  kReportedOutput,
  kServerSecret
};

std::string_view document_kind_name(DocumentKind kind);  // "customer", "resource_pool", ...
Result<DocumentKind> parse_document_kind(std::string_view name);

struct DocumentRecord {
  DocumentKind kind = DocumentKind::kCustomer;
  std::string id;                 // unique within its kind
  std::string owner_customer_id;  // empty when owned by nobody (global objects)
  // Optimistic concurrency: 1 after create, one more after each update. Ignored on writes.
  std::int64_t version = 0;
  WallTime added_time;  // ignored on update: the creation time is kept
  WallTime updated_time;
  Json document;
};

struct DocumentQuery {
  DocumentKind kind = DocumentKind::kCustomer;
  std::optional<std::string> owner_customer_id;  // exact match; "" selects unowned ones
  std::string cursor;                            // empty: from the first id
  std::size_t limit = 100;                       // clamped to [1, kMaxPageLimit]
};

// ---------------------------------------------------------------------------------------
// Audit log

struct AuditQuery {
  std::optional<std::string> actor;
  std::optional<std::string> target;
  bool newest_first = false;
  std::string cursor;
  std::size_t limit = 100;  // clamped to [1, kMaxPageLimit]
};

}  // namespace pop::store
