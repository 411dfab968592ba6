// The server's agenda lifecycle, without HTTP: submit (validate, bind to an insight, store,
// queue), hand agendas to pullers under fenced leases, take their progress reports, finish
// or retry them, and take back agendas whose puller went silent. The HTTP layer maps these
// calls to endpoints and Error codes to statuses.
//
// Ordering rule: the store is written first and the in-memory queues are changed only
// after the write succeeded, so a crash at any point leaves the store authoritative and
// start() rebuilds the queues from it.
//
// Thread-safety: every member may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "agenda/agenda_validator.h"
#include "agenda/declared_resources.h"
#include "scheduler/queues/insight_queues.h"
#include "service/agendas/agenda_metrics.h"
#include "service/agendas/pool_ownership.h"
#include "service/agendas/rerun.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/logger.h"

namespace pop::service {

struct ServiceOptions {
  std::chrono::milliseconds lease_duration{30000};  // a puller must report within this
  AgendaLimits limits;
  std::string default_resource_pool = "default";  // for customers with no pool of their own
  Logger* logger = &null_logger();                // borrowed: what could not be done
  // Borrowed: which pools' queues this server keeps. Null: it is alone on its store and
  // keeps every pool's.
  PoolOwnership* ownership = nullptr;
  // Borrowed: where to record what happens to agendas (agenda_metrics.h). Null: nowhere.
  metrics::MetricsRegistry* metrics = nullptr;
  // Customers whose agendas get metric series of their own (0: none; see agenda_metrics.h).
  std::size_t customer_labels = 0;
};

struct SubmitRequest {
  std::string customer_id = {};  // whose agenda it is when the agenda names no customerId
  Json document = {};            // the agenda, within the limits (parse_agenda_text or
                                 // check_agenda_document)
  std::string idempotency_key = {};
  // Whether the caller may submit for a customer the agenda names in customerId (an admin
  // for every customer, a member for its accounts). Unset: only for customer_id.
  std::function<bool(std::string_view customer_id)> may_act_for = {};
  // Appended with the agenda in its transaction, its target set to the new agenda's id.
  std::optional<store::AuditRecord> audit = {};
};

struct SubmittedAgenda {
  Json agenda;  // as stored: the submitted document plus id, customerId, progressId, agendaInsight
  bool replayed = false;
};

// What a puller receives for one admitted agenda.
struct LeasedAgenda {
  Json agenda;
  Json progress;  // the progress so far: succeeded operations are not run again
  std::uint64_t epoch = 0;
  WallTime lease_expires_at;
  std::string kubernetes_namespace;  // the customer's, when it has one
  // The lease's key (raw bytes, model/report_token.h), set by AgendaAccess::pull: the
  // holder's proof on every report, and what it mints its handlers' report tokens with.
  std::string lease_key;
};

class AgendaService {
 public:
  // Borrows everything; all must outlive the service.
  AgendaService(store::Store& store, scheduler::InsightQueues& queues, TypeKnown type_known,
                const Clock& clock, ServiceOptions options);

  // Makes sure the default resource pool and its catch-all FIFO insight exist, loads every
  // insight into the queues and queues every waiting agenda again, in submit order.
  Result<void> start();

  // What another server sharing the store did (store::Store::watch): queues the agenda when
  // it waits, unheld and unleased, and is not queued yet. Idempotent; an agenda gone or
  // running meanwhile is left alone.
  Result<void> learn_waiting(const std::string& agenda_id);
  // Queues every stored agenda that waits and is not queued yet: after changes may have been
  // missed. Agendas queued here but no longer waiting drop out when a pull finds them so.
  Result<void> resync();

  // Only where servers share a store (store/pool_claims.h): this server now owns the pool's
  // queues under `fence`, and fills them with the pool's waiting agendas from the store.
  Result<void> adopt_pool(const std::string& pool_id, std::uint64_t fence);
  // It no longer does: the pool's queued agendas are dropped (the store keeps them waiting
  // for the new owner).
  void drop_pool(const std::string& pool_id);
  const PoolOwnership& ownership() const { return ownership_; }
  // Whether this server queues the agendas of the insight: it keeps the queues of the pool
  // the insight is in now (an insight may move), or it does not know the insight yet.
  bool keeps_queue_of(std::string_view insight_id) const;

  // kTooLarge for more operations than the limits allow, kInvalidAgenda (with one detail per
  // problem) for an invalid agenda or when no insight matches; kForbidden for a customerId
  // the caller may not submit for; kInvalidArgument when the agenda names none and the
  // request has no customer either; kResourceExhausted when the customer has as many
  // agendas waiting as its maxWaitingAgendas allows; kUnavailable when the store refuses.
  // With an idempotency key already used by this customer: the first result.
  Result<SubmittedAgenda> submit(SubmitRequest request);
  // What a submitted agenda may hold (parse_agenda_text before submit).
  const AgendaLimits& limits() const { return options_.limits; }

  // kNotFound for an unknown id.
  Result<Json> agenda(std::string_view id);
  Result<Json> progress(std::string_view id);

  // Where a waiting agenda stands: {agendaId, processingState, insightId, algorithm, ready,
  // position, reason}; for an agenda that is not waiting, its state and why nothing is
  // queued. kNotFound for an unknown id.
  Result<Json> explain(std::string_view id);

  // One page of agendas matching the query, in submit order: {"items": [summary...],
  // "nextCursor"} where a summary holds the agenda's identity, binding and progress state.
  // kInvalidArgument for a cursor the server did not issue.
  Result<Json> list(const store::AgendaQuery& query);

  // Deletes an agenda with its progress, in any state: a waiting one leaves its queue, an
  // executing one's puller is fenced off (its next report gets kNotFound) and stops it.
  // kNotFound for an unknown id.
  Result<void> remove(std::string_view id);

  // Runs a completed (or held) agenda again from the progress `request` leaves, with fresh
  // automatic retries, and queues it unless skip_execution holds it. Returns the new
  // progress. kConflict while the agenda is waiting or executing; kInvalidArgument for an
  // unknown operation to reset; kNotFound for an unknown id.
  Result<Json> rerun(std::string_view id, const RerunRequest& request);

  // Hands out up to `max` ready agendas of the pool's insights, each under a new lease
  // held by `puller_id`. Never blocks; an empty result means there is nothing to do now.
  // kUnavailable when another replica owns the pool's queues (ownership().owner_address).
  // With `available` set (the resources the puller has free), only agendas whose declared
  // params.resources fit are handed out, the rest keep their places in the queue; so do
  // the agendas of a customer that has as many executing as its maxRunningAgendas allows.
  // Nothing is taken from the queues of the insights in `skip_insight_ids` (those the puller
  // found at their executionLimit), and no more agendas of an insight than its
  // executionLimit are handed out at once: each runs at least one handler.
  Result<std::vector<LeasedAgenda>> pull(std::string_view resource_pool_id,
                                         std::string_view puller_id, std::size_t max,
                                         const std::optional<Resources>& available = std::nullopt,
                                         const std::set<std::string>& skip_insight_ids = {});

  // The executionLimit of each insight of the pool that has one, by insight id: what a pull
  // answer tells the puller, which enforces the limits by counting handlers.
  std::map<std::string, std::size_t> execution_limits(std::string_view resource_pool_id) const;

  // A progress report, which is also the heartbeat: renews the lease and stores the
  // progress. kConflict when the lease with `epoch` is no longer held (reclaimed and given
  // to someone else): nothing changes, and the reporter must stop.
  Result<void> report(std::string_view agenda_id, std::uint64_t epoch, const Json& progress);

  // The agenda ended on the puller (`progress` is COMPLETE). Releases the lease; a failed
  // agenda with attempts left waits again in continue mode (its succeeded operations keep
  // their outputs). kConflict as for report().
  Result<void> complete(std::string_view agenda_id, std::uint64_t epoch, const Json& progress);

  // Cancels an agenda that has not completed: a waiting one leaves its queue; an executing
  // one loses its lease, so its puller's next report gets kConflict and it stops the
  // handlers at once. Returns the progress, now COMPLETE/cancelled. kConflict when the
  // agenda already completed, kNotFound for an unknown id.
  Result<Json> cancel(std::string_view id);

  // Takes back every agenda whose lease expired and queues it again at its original
  // position, in continue mode. Returns how many were taken back.
  Result<std::size_t> reclaim_expired();

 private:
  // What a customer's document says about where and how much it may run; the defaults for
  // a customer without one.
  struct CustomerTerms {
    std::string resource_pool_id;
    std::optional<std::int64_t> max_waiting_agendas;
    std::optional<std::int64_t> max_running_agendas;
    std::string kubernetes_namespace;
  };
  Result<CustomerTerms> customer_terms(std::string_view customer_id);
  Result<std::string> submitting_customer(const SubmitRequest& request, const Agenda& agenda);

  // Counts the customer's executing agendas, stopping at `enough`.
  Result<std::int64_t> running_agendas(const std::string& customer_id, std::int64_t enough);
  // An agenda as stored, with its lease and progress.
  struct StoredAgenda {
    store::AgendaRecord record;
    store::LeaseRecord lease;
    store::ProgressRecord progress;
  };
  // Reads them in that order (see prepare_lease); nothing when the agenda is gone.
  Result<std::optional<StoredAgenda>> read_agenda(std::string_view id);
  struct PreparedLease {
    store::AgendaRecord record;
    store::LeaseAcquisition acquisition;  // with the progress it starts executing with
  };
  // Reads an agenda taken from its ready queue and prepares its lease; writes nothing.
  // Nothing (and no error) when the agenda is gone or no longer waits: deleted, cancelled or
  // rerun since it was queued.
  Result<std::optional<PreparedLease>> prepare_lease(const scheduler::ReadyAgenda& ready,
                                                     std::string_view puller_id, WallTime now);
  // The server's own change of an agenda's progress (cancel, rerun): `change` computes the
  // new progress from the stored one (or refuses), and the store writes it while revoking
  // any lease, retrying when a puller's lease moved meanwhile.
  Result<store::ProgressRecord> revoke_and_write(
      std::string_view id,
      const std::function<Result<store::ProgressRecord>(const store::ProgressRecord&)>& change);
  // The pool whose queues hold the insight's agendas: the insight's pool now, else (an
  // insight this server does not know) the pool the agenda was bound in.
  std::string current_pool(std::string_view insight_id, const std::string& bound_pool) const;
  // Queues an agenda whose progress is WAITING, from its stored record; nothing when it is
  // queued already, or another server keeps its queue.
  Result<void> enqueue(const store::AgendaRecord& record);
  // Queues a stored waiting agenda unless it is leased, held, or queued already; logs (rather
  // than fails on) one its insight's queue refuses.
  void queue_waiting(const store::WaitingAgenda& agenda, WallTime now);

  store::Store& store_;
  scheduler::InsightQueues& queues_;
  TypeKnown type_known_;
  const Clock& clock_;
  ServiceOptions options_;
  PoolOwnership& ownership_;
  std::optional<AgendaMetrics> metrics_;  // with ServiceOptions::metrics
  std::mutex running_quota_mutex_;        // held by a pull that counts a running quota
};

}  // namespace pop::service
