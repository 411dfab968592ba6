#include "service/agendas/agenda_service.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "model/agenda_progress.h"
#include "scheduler/queues/insight_binding.h"
#include "service/agendas/taken_agendas.h"
#include "service/config/config_algorithm.h"
#include "service/config/config_documents.h"
#include "service/config/config_store.h"
#include "util/random_id.h"
#include "util/time_format.h"

namespace pop::service {
namespace {

constexpr int kDefaultAgendaAttempts = 3;  // POP's default for params.maximumAttempts
constexpr std::size_t kReclaimBatch = 100;
// The state message of an agenda that waits without being queued (params.doNotRun, or a
// rerun with skipExecution) until a rerun releases it. Stored, so a restart keeps it held.
constexpr const char* kHeld = store::kHeldStateMessage;
// How often a server-side change retries when a puller's lease moves under it.
constexpr int kRevokeAttempts = 8;

// The server's own fields on top of the executor's AgendaProgress document.
Json progress_document(const AgendaProgress& progress, int attempts_completed,
                       int maximum_attempts) {
  Json document = agenda_progress_to_json(progress);
  document["attemptsCompleted"] = attempts_completed;
  document["maximumAttempts"] = maximum_attempts;
  return document;
}

store::ProgressRecord progress_record(std::string agenda_id, const AgendaProgress& progress,
                                      int attempts_completed, int maximum_attempts, WallTime now) {
  store::ProgressRecord record;
  record.agenda_id = std::move(agenda_id);
  record.processing_state = progress.state;
  record.state_message = progress.state_message();
  record.attempts_completed = attempts_completed;
  record.maximum_attempts = maximum_attempts;
  // A column: SQLite would store NaN as NULL, which the column refuses.
  record.percent_complete =
      std::isfinite(progress.percent_complete) ? progress.percent_complete : 0;
  record.updated_time = now;
  record.document = progress_document(progress, attempts_completed, maximum_attempts);
  return record;
}

store::ProgressRecord held(store::ProgressRecord record) {
  record.state_message = kHeld;
  record.document["processingStateMessage"] = kHeld;
  return record;
}

bool is_held(const store::ProgressRecord& record) {
  return record.processing_state == ProcessingState::kWaiting && record.state_message == kHeld;
}

// Back to waiting, keeping what succeeded: the next puller resumes in continue mode.
AgendaProgress waiting_again(AgendaProgress progress) {
  progress.state = ProcessingState::kWaiting;
  progress.outcome = AgendaOutcome::kNone;
  progress.completed_time.reset();
  for (auto& operation : progress.operations) {
    if (operation.state == OperationState::kSucceeded) continue;
    operation.state = OperationState::kPending;
    operation.percent_complete = 0;
    operation.completed_time.reset();
  }
  progress.recompute_percent();
  return progress;
}

Result<int> agenda_priority(const Agenda& agenda) {
  auto it = agenda.extra.find("priority");
  if (it == agenda.extra.end() || it->is_null()) return 0;
  if (!it->is_number_integer() || it->get<double>() < -1000000 || it->get<double>() > 1000000) {
    return fail(ErrorCode::kInvalidAgenda, "agenda is invalid",
                {"agenda, field priority: must be an integer from -1000000 to 1000000"});
  }
  return it->get<int>();
}

// The ownership of a server alone on its store: every pool, no fence. Stateless.
PoolOwnership& alone_on_store() {
  static PoolOwnership alone;
  return alone;
}

int maximum_attempts_of(const Agenda& agenda) {
  auto it = agenda.params.find("maximumAttempts");
  return it != agenda.params.end() && it->is_number_integer() ? it->get<int>()
                                                              : kDefaultAgendaAttempts;
}

}  // namespace

AgendaService::AgendaService(store::Store& store, scheduler::InsightQueues& queues,
                             TypeKnown type_known, const Clock& clock, ServiceOptions options)
    : store_(store),
      queues_(queues),
      type_known_(std::move(type_known)),
      clock_(clock),
      options_(std::move(options)),
      ownership_(options_.ownership != nullptr ? *options_.ownership : alone_on_store()) {
  if (options_.metrics != nullptr) metrics_.emplace(*options_.metrics, options_.customer_labels);
}

Result<void> AgendaService::start() {
  const WallTime now = clock_.now();
  const std::string& pool = options_.default_resource_pool;
  scheduler::Insight catch_all;
  catch_all.id = pool;
  catch_all.resource_pool_id = pool;
  catch_all.title = "Catch-all FIFO insight of the default pool";
  catch_all.queue_size = 100;
  catch_all.is_global = true;
  const store::DocumentRecord defaults[] = {
      {store::DocumentKind::kResourcePool, pool, "", 0, now, now,
       Json{{"id", pool}, {"title", "Default resource pool"}}},
      {store::DocumentKind::kInsight, pool, "", 0, now, now,
       scheduler::insight_to_json(catch_all)}};
  for (const auto& record : defaults) {
    auto created = store_.create_document(record);
    if (!created && created.error().code != ErrorCode::kConflict) return fail(created.error());
  }

  auto insights = all_documents(store_, store::DocumentKind::kInsight);
  if (!insights) return fail(insights.error());
  auto weights = load_customer_weights(store_);
  if (!weights) return fail(weights.error());
  for (const auto& record : *insights) {
    auto insight = scheduler::insight_from_json(record.document);
    if (!insight) {
      return fail(ErrorCode::kInternal,
                  "stored insight \"" + record.id + "\" is unreadable: " + insight.error().message);
    }
    if (auto configured = queues_.configure(*insight, queue_config(*insight, *weights), now);
        !configured)
      return configured;
  }

  return resync();
}

void AgendaService::queue_waiting(const store::WaitingAgenda& agenda, WallTime now) {
  // A leased one belongs to a puller; if that puller is gone, reclaim_expired() returns it.
  if (agenda.leased || agenda.state_message == kHeld) return;
  // Its pool's owner queues it.
  if (!ownership_.owns(current_pool(agenda.insight_id, agenda.resource_pool_id))) return;
  auto queued = queues_.enqueue(
      agenda.insight_id,
      {agenda.id, agenda.customer_id, agenda.sequence, agenda.priority, agenda.added_time}, now);
  // One agenda the queues refuse (its insight was deleted) must not keep the server down:
  // it stays stored and waiting, and a rerun after its insight is back queues it.
  if (!queued && queued.error().code != ErrorCode::kConflict) {
    options_.logger->error("agenda not queued",
                           {{"agenda", agenda.id}, {"error", queued.error().message}});
  }
}

Result<void> AgendaService::resync() {
  auto waiting = store_.list_waiting_agendas();
  if (!waiting) return fail(waiting.error());
  const WallTime now = clock_.now();
  for (const auto& agenda : *waiting) queue_waiting(agenda, now);
  return {};
}

Result<void> AgendaService::adopt_pool(const std::string& pool_id, std::uint64_t fence) {
  queues_.open_pool(pool_id);
  ownership_.gain(pool_id, fence);
  auto waiting = store_.list_waiting_agendas();
  if (!waiting) return fail(waiting.error());
  const WallTime now = clock_.now();
  for (const auto& agenda : *waiting) {
    if (current_pool(agenda.insight_id, agenda.resource_pool_id) == pool_id)
      queue_waiting(agenda, now);
  }
  return {};
}

void AgendaService::drop_pool(const std::string& pool_id) {
  ownership_.lose(pool_id);
  // Closes the pool's queues too, so that a pull in flight puts nothing back, and wakes its
  // waiting pulls, which then learn that this server no longer keeps them.
  queues_.clear_pool(pool_id);
}

std::string AgendaService::current_pool(std::string_view insight_id,
                                        const std::string& bound_pool) const {
  return queues_.pool_of(insight_id).value_or(bound_pool);
}

bool AgendaService::keeps_queue_of(std::string_view insight_id) const {
  auto pool = queues_.pool_of(insight_id);
  return !pool || ownership_.owns(*pool);
}

Result<std::optional<AgendaService::StoredAgenda>> AgendaService::read_agenda(std::string_view id) {
  // Gone meanwhile (deleted): nothing.
  auto unless_gone = [](const Error& error) -> Result<std::optional<StoredAgenda>> {
    if (error.code == ErrorCode::kNotFound) return std::nullopt;
    return fail(error);
  };
  auto record = store_.get_agenda(id);
  if (!record) return unless_gone(record.error());
  // The lease before the progress: a revoke (cancel, rerun) after this read moves the epoch,
  // so an acquire with it fails instead of overwriting the server's change.
  auto lease = store_.get_lease(id);
  if (!lease) return unless_gone(lease.error());
  auto progress = store_.get_progress(id);
  if (!progress) return unless_gone(progress.error());
  return StoredAgenda{std::move(*record), std::move(*lease), std::move(*progress)};
}

Result<void> AgendaService::learn_waiting(const std::string& agenda_id) {
  auto stored = read_agenda(agenda_id);
  if (!stored) return fail(stored.error());
  if (!*stored || (*stored)->progress.processing_state != ProcessingState::kWaiting) return {};
  const store::AgendaRecord& record = (*stored)->record;
  queue_waiting({record.id, record.customer_id, record.insight_id, record.sequence, record.priority,
                 record.added_time, !(*stored)->lease.holder.empty(),
                 (*stored)->progress.state_message, record.resource_pool_id},
                clock_.now());
  return {};
}

Result<AgendaService::CustomerTerms> AgendaService::customer_terms(std::string_view customer_id) {
  CustomerTerms terms;
  terms.resource_pool_id = options_.default_resource_pool;
  auto stored = store_.get_document(store::DocumentKind::kCustomer, customer_id);
  if (!stored) {
    if (stored.error().code == ErrorCode::kNotFound) return terms;
    return fail(stored.error());
  }
  auto customer = customer_from_json(stored->document);
  if (!customer)
    return fail(ErrorCode::kInternal, "stored customer \"" + std::string(customer_id) +
                                          "\" is unreadable: " + customer.error().message);
  if (!customer->resource_pool_id.empty()) terms.resource_pool_id = customer->resource_pool_id;
  terms.max_waiting_agendas = customer->max_waiting_agendas;
  terms.max_running_agendas = customer->max_running_agendas;
  terms.kubernetes_namespace = customer->kubernetes_namespace;
  return terms;
}

Result<std::string> AgendaService::submitting_customer(const SubmitRequest& request,
                                                       const Agenda& agenda) {
  const std::string& named = agenda.customer_id;
  if (named.empty() || named == request.customer_id) {
    if (request.customer_id.empty())
      return fail(ErrorCode::kInvalidArgument,
                  "the agenda must name its customerId: the caller acts for several customers");
    return request.customer_id;
  }
  if (!request.may_act_for || !request.may_act_for(named))
    return fail(ErrorCode::kForbidden,
                "the caller may not submit agendas for customer \"" + named + "\"");
  return named;
}

Result<SubmittedAgenda> AgendaService::submit(SubmitRequest request) {
  auto validated = load_agenda_document(std::move(request.document), type_known_, options_.limits);
  if (!validated) return fail(validated.error());
  Agenda& agenda = validated->agenda;
  auto priority = agenda_priority(agenda);
  if (!priority) return fail(priority.error());
  if (auto resources = declared_resources(agenda.params); !resources) {
    return fail(ErrorCode::kInvalidAgenda, "agenda is invalid",
                {"agenda, field " + resources.error().message});
  }
  auto customer = submitting_customer(request, agenda);
  if (!customer) return fail(customer.error());
  const std::string customer_id = std::move(*customer);
  // A customer id names a customer document, so it follows the rule of document ids.
  if (auto checked = check_document_id(customer_id); !checked) {
    return fail(ErrorCode::kInvalidAgenda, "agenda is invalid",
                {"agenda, field customerId: " + checked.error().message});
  }
  auto terms = customer_terms(customer_id);
  if (!terms) return fail(terms.error());
  const std::string& pool = terms->resource_pool_id;
  // The queues hold every insight (loaded at start): binding needs no store read.
  const std::vector<scheduler::Insight> insights = queues_.insights_in_pool(pool);
  auto insight = scheduler::bind_insight(agenda, customer_id, pool, insights);
  if (!insight) return fail(insight.error());

  const WallTime now = clock_.now();
  agenda.id = random_uuid();
  agenda.customer_id = customer_id;
  Json document = agenda_to_json(agenda);
  document["progressId"] = agenda.id;
  document["agendaInsight"] = {{"resourcePoolId", pool}, {"insightId", (*insight)->id}};

  AgendaProgress progress;
  progress.agenda_id = agenda.id;
  for (const auto& operation : agenda.operations) {
    OperationProgress operation_progress;
    operation_progress.operation = operation.name;
    progress.operations.push_back(std::move(operation_progress));
  }
  const int maximum_attempts = maximum_attempts_of(agenda);

  store::NewAgenda row;
  row.agenda.id = agenda.id;
  row.agenda.customer_id = agenda.customer_id;
  row.agenda.resource_pool_id = pool;
  row.agenda.insight_id = (*insight)->id;
  row.agenda.link_id = agenda.link_id;
  row.agenda.title = agenda.title;
  row.agenda.priority = *priority;
  row.agenda.added_time = now;
  row.agenda.updated_time = now;
  // Moved, not copied: an agenda may hold a million values. It is answered from the row.
  row.agenda.document = std::move(document);
  row.progress = progress_record(agenda.id, progress, 0, maximum_attempts, now);
  const auto do_not_run = agenda.params.find("doNotRun");
  const bool hold =
      do_not_run != agenda.params.end() && do_not_run->is_boolean() && do_not_run->get<bool>();
  if (hold) row.progress = held(std::move(row.progress));
  row.idempotency_key = request.idempotency_key;
  row.audit = request.audit;
  if (row.audit) row.audit->target = agenda.id;
  // A held agenda waits for a rerun, not for a puller: it is outside the quota. The store
  // counts it in the inserting transaction, so replicas cannot overfill it between them.
  if (!hold) row.max_waiting = terms->max_waiting_agendas;
  auto inserted = store_.insert_agenda(row);
  if (!inserted) return fail(inserted.error());
  if (inserted->replayed) {
    auto first = store_.get_agenda(inserted->agenda_id);
    if (!first) return fail(first.error());
    // The first submit may have committed without being answered (its connection was lost
    // at the commit), and so without queueing it: queued now unless it is already.
    if (auto learned = learn_waiting(first->id); !learned) {
      options_.logger->warning("replayed agenda not queued; the next resync queues it",
                               {{"agenda", first->id}, {"error", learned.error().message}});
    }
    return SubmittedAgenda{first->document, true};
  }
  row.agenda.sequence = inserted->sequence;
  if (metrics_) metrics_->submitted(row.agenda.customer_id);
  if (hold) return SubmittedAgenda{std::move(row.agenda.document), false};
  // The agenda is durable: answering with an error now would invite a duplicate submit.
  // A queue that refuses it is a bug; the next start queues it from the store.
  if (auto queued = enqueue(row.agenda); !queued) {
    options_.logger->error("agenda stored but not queued",
                           {{"agenda", agenda.id}, {"error", queued.error().message}});
  }
  return SubmittedAgenda{std::move(row.agenda.document), false};
}

Result<void> AgendaService::enqueue(const store::AgendaRecord& record) {
  if (!ownership_.owns(current_pool(record.insight_id, record.resource_pool_id)))
    return {};  // its owner hears of it
  auto queued = queues_.enqueue(
      record.insight_id,
      {record.id, record.customer_id, record.sequence, record.priority, record.added_time},
      clock_.now());
  // Already queued: the store's notification of this very write came first (replicas).
  if (!queued && queued.error().code == ErrorCode::kConflict) return {};
  return queued;
}

Result<Json> AgendaService::agenda(std::string_view id) {
  auto record = store_.get_agenda(id);
  if (!record) return fail(record.error());
  return record->document;
}

Result<Json> AgendaService::progress(std::string_view id) {
  auto record = store_.get_progress(id);
  if (!record) return fail(record.error());
  return record->document;
}

Result<Json> AgendaService::explain(std::string_view id) {
  auto stored = store_.get_progress(id);
  if (!stored) return fail(stored.error());
  Json out = {{"agendaId", std::string(id)},
              {"processingState", processing_state_name(stored->processing_state)},
              {"processingStateMessage", stored->state_message}};
  if (auto position = queues_.explain(id, clock_.now())) {
    out["insightId"] = position->insight_id;
    out["algorithm"] = position->algorithm;
    out["ready"] = position->ready;
    out["position"] = position->position;
    out["reason"] = position->reason;
  } else if (stored->processing_state == ProcessingState::kWaiting) {
    out["reason"] = "handed to a puller, which has not started it yet";
    if (ownership_.shared()) {
      auto record = store_.get_agenda(id);
      if (!record) return fail(record.error());
      auto lease = store_.get_lease(id);
      if (!lease) return fail(lease.error());
      const std::string pool = current_pool(record->insight_id, record->resource_pool_id);
      if (lease->holder.empty() && !ownership_.owns(pool)) {
        const auto owner = ownership_.owner_address(pool);
        out["reason"] = owner ? "queued by the replica that keeps the queues of resource pool \"" +
                                    pool + "\" (" + *owner + "): ask it for its position"
                              : "no replica keeps the queues of resource pool \"" + pool +
                                    "\" at the moment (one is taking them over)";
      }
    }
  } else {
    out["reason"] = stored->processing_state == ProcessingState::kExecuting
                        ? "executing: a puller owns it"
                        : "complete: it waits for nothing";
  }
  return out;
}

Result<Json> AgendaService::list(const store::AgendaQuery& query) {
  auto page = store_.list_agendas(query);
  if (!page) return fail(page.error());
  Json items = Json::array();
  for (const store::AgendaSummary& summary : page->items) {
    Json item = {{"id", summary.id},
                 {"customerId", summary.customer_id},
                 {"resourcePoolId", summary.resource_pool_id},
                 {"insightId", summary.insight_id},
                 {"priority", summary.priority},
                 {"addedTime", format_time(summary.added_time)},
                 {"processingState", processing_state_name(summary.processing_state)},
                 {"processingStateMessage", summary.state_message},
                 {"percentComplete", summary.percent_complete},
                 {"attemptsCompleted", summary.attempts_completed}};
    if (!summary.link_id.empty()) item["linkId"] = summary.link_id;
    if (!summary.title.empty()) item["title"] = summary.title;
    items.push_back(std::move(item));
  }
  Json out = {{"items", std::move(items)}};
  if (page->more) out["nextCursor"] = page->next_cursor;
  return out;
}

Result<void> AgendaService::remove(std::string_view id) {
  if (auto deleted = store_.delete_agenda(id); !deleted) return deleted;
  if (!queues_.forget(id, clock_.now())) queues_.announce_capacity();  // it may have been running
  return {};
}

Result<store::ProgressRecord> AgendaService::revoke_and_write(
    std::string_view id,
    const std::function<Result<store::ProgressRecord>(const store::ProgressRecord&)>& change) {
  for (int attempt = 1;; ++attempt) {
    // The lease first: a puller that moves it after this read makes revoke_lease fail, so
    // the progress read next is never older than the lease it is written under.
    auto lease = store_.get_lease(id);
    if (!lease) return fail(lease.error());
    auto stored = store_.get_progress(id);
    if (!stored) return fail(stored.error());
    auto record = change(*stored);
    if (!record) return fail(record.error());
    auto revoked = store_.revoke_lease(id, lease->epoch, *record);
    if (revoked) return record;
    if (revoked.error().code != ErrorCode::kConflict || attempt == kRevokeAttempts)
      return fail(revoked.error());
  }
}

Result<Json> AgendaService::rerun(std::string_view id, const RerunRequest& request) {
  auto stored_agenda = store_.get_agenda(id);
  if (!stored_agenda) return fail(stored_agenda.error());
  if (!request.skip_execution && !queues_.has_insight(stored_agenda->insight_id)) {
    return fail(ErrorCode::kConflict, "agenda \"" + std::string(id) + "\" is bound to insight \"" +
                                          stored_agenda->insight_id +
                                          "\", which no longer exists; create it again first");
  }
  IssueList issues;
  const Agenda agenda = parse_agenda(stored_agenda->document, issues);
  const WallTime now = clock_.now();
  auto written = revoke_and_write(
      id, [&](const store::ProgressRecord& stored) -> Result<store::ProgressRecord> {
        if (stored.processing_state != ProcessingState::kComplete && !is_held(stored)) {
          return fail(ErrorCode::kConflict,
                      "agenda \"" + std::string(id) + "\" is " + stored.state_message +
                          "; only a completed or held agenda can be rerun (cancel it first)");
        }
        auto progress = agenda_progress_from_json(stored.document);
        if (!progress)
          return fail(ErrorCode::kInternal,
                      "stored progress of \"" + std::string(id) + "\" is unreadable");
        auto reset = reset_for_rerun(agenda, std::move(*progress), request);
        if (!reset) return fail(reset.error());
        reset->agenda_id = std::string(id);
        reset->diagnostic_events.push_back(
            {request.skip_execution ? "rerun requested, held (skipExecution)" : "rerun requested",
             now, ""});
        auto record = progress_record(std::string(id), *reset, 0, stored.maximum_attempts, now);
        return request.skip_execution ? held(std::move(record)) : record;
      });
  if (!written) return fail(written.error());
  if (!request.skip_execution) {
    // Durable already: a queue that refuses is logged, and the next start queues it.
    if (auto queued = enqueue(*stored_agenda); !queued) {
      options_.logger->error("rerun stored but not queued",
                             {{"agenda", std::string(id)}, {"error", queued.error().message}});
    }
  }
  return written->document;
}

std::map<std::string, std::size_t> AgendaService::execution_limits(
    std::string_view resource_pool_id) const {
  std::map<std::string, std::size_t> limits;
  for (const scheduler::Insight& insight : queues_.insights_in_pool(resource_pool_id)) {
    if (insight.execution_limit)
      limits[insight.id] = static_cast<std::size_t>(*insight.execution_limit);
  }
  return limits;
}

Result<std::vector<LeasedAgenda>> AgendaService::pull(
    std::string_view resource_pool_id, std::string_view puller_id, std::size_t max,
    const std::optional<Resources>& available, const std::set<std::string>& skip_insight_ids) {
  // One look: the fence of a pool dropped meanwhile must not read as "no fence needed".
  const std::optional<store::PoolFence> fence = ownership_.fence(resource_pool_id);
  if (ownership_.shared() && !fence) {
    return fail(ErrorCode::kUnavailable,
                "this replica does not keep the queues of resource pool \"" +
                    std::string(resource_pool_id) + "\"");
  }
  const WallTime now = clock_.now();
  std::vector<LeasedAgenda> leased;
  // The first reason an agenda could not be handed out, answered when none could.
  std::optional<Error> first_error;
  auto note = [&](const Error& error) {
    if (!first_error) first_error = error;
  };
  std::vector<std::string> insight_ids = queues_.insights_of_pool(resource_pool_id);
  std::erase_if(insight_ids, [&](const std::string& id) { return skip_insight_ids.contains(id); });
  // Each one not handed out (and not gone) goes back at its old place once this pull ends.
  TakenAgendas taken(queues_, queues_.take(insight_ids, max, now), *options_.logger);
  const std::map<std::string, std::size_t> limits = execution_limits(resource_pool_id);
  std::map<std::string, std::size_t> handed_out;  // by insight, for those with a limit
  // Customers with a maxRunningAgendas quota: their running agendas are counted once, under
  // a lock held until the leases are committed, so two pulls cannot both fill the last place.
  std::unique_lock<std::mutex> quota_lock(running_quota_mutex_, std::defer_lock);
  std::map<std::string, std::optional<std::int64_t>> room;  // customer -> places left
  std::map<std::string, std::string> namespaces;            // customer -> kubernetesNamespace
  auto has_room = [&](const std::string& customer_id) -> Result<bool> {
    auto known = room.find(customer_id);
    if (known == room.end()) {
      auto terms = customer_terms(customer_id);
      if (!terms) return fail(terms.error());
      namespaces[customer_id] = terms->kubernetes_namespace;
      std::optional<std::int64_t> left;
      if (terms->max_running_agendas) {
        if (!quota_lock.owns_lock()) quota_lock.lock();
        auto running = running_agendas(customer_id, *terms->max_running_agendas);
        if (!running) return fail(running.error());
        left = *terms->max_running_agendas - *running;
      }
      known = room.emplace(customer_id, left).first;
    }
    if (!known->second) return true;
    if (*known->second <= 0) return false;
    --*known->second;
    return true;
  };
  std::vector<std::size_t> chosen;  // indices into `taken`
  std::vector<store::AgendaRecord> records;
  std::vector<store::LeaseAcquisition> acquisitions;
  std::optional<Resources> budget = available;
  for (std::size_t index = 0; index < taken.size(); ++index) {
    const scheduler::ReadyAgenda& ready = taken[index];
    const auto limit = limits.find(ready.insight_id);
    // Agendas not chosen go back, for the next pull, this puller's or another's.
    if (limit != limits.end() && handed_out[ready.insight_id] >= limit->second) continue;
    auto prepared = prepare_lease(ready, puller_id, now);
    if (!prepared) {
      note(prepared.error());
      continue;
    }
    if (!*prepared) {  // gone or no longer waiting
      taken.keep_out(index);
      continue;
    }
    auto admitted = has_room(ready.agenda.customer_id);
    if (!admitted) {
      note(admitted.error());
      continue;
    }
    if (!*admitted) {
      // Keeps its place, unannounced: no puller may take it before one of the customer's
      // agendas ends, which announces it (complete, cancel, remove).
      taken.back_until_capacity(index);
      continue;
    }
    if (budget) {
      auto demand =
          declared_resources((*prepared)->record.document.value("params", Json::object()));
      if (demand && !fits(*demand, *budget)) continue;  // too big for this puller now
      if (demand) take_from(*budget, *demand);
    }
    if (limit != limits.end()) ++handed_out[ready.insight_id];
    chosen.push_back(index);
    records.push_back(std::move((*prepared)->record));
    acquisitions.push_back(std::move((*prepared)->acquisition));
    acquisitions.back().pool_fence = fence;
  }
  // One durable commit for all of them, not one per agenda.
  auto epochs = store_.acquire_leases(acquisitions);
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    if (epochs[i]) {
      taken.keep_out(chosen[i]);
      if (metrics_) {
        const scheduler::ReadyAgenda& ready = taken[chosen[i]];
        metrics_->leased(ready.insight_id, ready.agenda.customer_id,
                         now - ready.agenda.enqueued_at);
      }
      leased.push_back({std::move(records[i].document),
                        std::move(acquisitions[i].progress->document), *epochs[i],
                        acquisitions[i].expires_at, namespaces[taken[chosen[i]].agenda.customer_id],
                        ""});
      continue;
    }
    // A moved epoch: the agenda was revoked, deleted or taken by another server, whose
    // change decides where it goes next.
    const ErrorCode code = epochs[i].error().code;
    if (code == ErrorCode::kConflict || code == ErrorCode::kNotFound) {
      taken.keep_out(chosen[i]);
      continue;
    }
    note(epochs[i].error());
  }
  if (leased.empty() && first_error) return fail(*first_error);
  return leased;
}

Result<std::int64_t> AgendaService::running_agendas(const std::string& customer_id,
                                                    std::int64_t enough) {
  store::AgendaQuery query;
  query.customer_id = customer_id;
  query.processing_state = ProcessingState::kExecuting;
  query.limit = static_cast<std::size_t>(std::max<std::int64_t>(enough, 1));
  std::int64_t running = 0;
  while (running < enough) {
    auto page = store_.list_agendas(query);
    if (!page) return fail(page.error());
    running += static_cast<std::int64_t>(page->items.size());
    if (!page->more) break;
    query.cursor = page->next_cursor;
  }
  return running;
}

Result<std::optional<AgendaService::PreparedLease>> AgendaService::prepare_lease(
    const scheduler::ReadyAgenda& ready, std::string_view puller_id, WallTime now) {
  const std::string& id = ready.agenda.agenda_id;
  // Gone meanwhile (deleted): nothing to hand out, and nothing to put back.
  auto read = read_agenda(id);
  if (!read) return fail(read.error());
  if (!*read) return std::nullopt;
  auto& [record, lease, stored] = **read;
  if (stored.processing_state != ProcessingState::kWaiting || is_held(stored)) return std::nullopt;
  auto progress = agenda_progress_from_json(stored.document);
  if (!progress)
    return fail(ErrorCode::kInternal, "stored progress of \"" + id + "\" is unreadable");
  progress->state = ProcessingState::kExecuting;
  if (!progress->started_time) progress->started_time = now;
  store::LeaseAcquisition acquisition{
      id,
      std::string(puller_id),
      lease.epoch,
      now,
      now + options_.lease_duration,
      progress_record(id, *progress, stored.attempts_completed, stored.maximum_attempts, now),
      std::nullopt};
  return PreparedLease{std::move(record), std::move(acquisition)};
}

Result<void> AgendaService::report(std::string_view agenda_id, std::uint64_t epoch,
                                   const Json& document) {
  auto progress = agenda_progress_from_json(document);
  if (!progress) return fail(progress.error());
  const WallTime now = clock_.now();
  auto stored = store_.get_progress(agenda_id);
  if (!stored) return fail(stored.error());
  progress->agenda_id = std::string(agenda_id);
  // Renewed and written in one commit, fenced by the epoch: a report costs its puller's slot
  // one commit's wait, not two.
  auto renewed = store_.renew_lease(
      agenda_id, epoch, now + options_.lease_duration,
      progress_record(std::string(agenda_id), *progress, stored->attempts_completed,
                      stored->maximum_attempts, now));
  if (!renewed && renewed.error().code == ErrorCode::kConflict && metrics_) metrics_->fenced_off();
  return renewed;
}

Result<void> AgendaService::complete(std::string_view agenda_id, std::uint64_t epoch,
                                     const Json& document) {
  auto progress = agenda_progress_from_json(document);
  if (!progress) return fail(progress.error());
  if (progress->state != ProcessingState::kComplete) {
    return fail(ErrorCode::kInvalidArgument,
                "a completed agenda's processingState must be COMPLETE");
  }
  auto stored = store_.get_progress(agenda_id);
  if (!stored) return fail(stored.error());
  const WallTime now = clock_.now();
  const int attempts = stored->attempts_completed + 1;
  progress->agenda_id = std::string(agenda_id);
  const bool retry =
      progress->outcome == AgendaOutcome::kFailed && attempts < stored->maximum_attempts;
  const AgendaProgress final_progress = retry ? waiting_again(*progress) : *progress;
  auto released = store_.release_lease(agenda_id, epoch,
                                       progress_record(std::string(agenda_id), final_progress,
                                                       attempts, stored->maximum_attempts, now));
  if (!released) {
    if (released.error().code == ErrorCode::kConflict && metrics_) metrics_->fenced_off();
    return released;
  }
  if (metrics_) {
    std::optional<std::chrono::duration<double>> took;
    if (progress->started_time && progress->completed_time)
      took = *progress->completed_time - *progress->started_time;
    metrics_->completed(progress->state_message(), took, retry);
  }
  queues_.announce_capacity();
  if (!retry) return {};
  // The completion is durable; a failure to queue the retry now must not make the puller
  // report again (it would be fenced off). The next start queues it from the store.
  auto record = store_.get_agenda(agenda_id);
  auto queued = record ? enqueue(*record) : fail(record.error());
  if (!queued) {
    options_.logger->error("retry stored but not queued",
                           {{"agenda", std::string(agenda_id)}, {"error", queued.error().message}});
  }
  return {};
}

Result<Json> AgendaService::cancel(std::string_view id) {
  const WallTime now = clock_.now();
  auto written = revoke_and_write(
      id, [&](const store::ProgressRecord& stored) -> Result<store::ProgressRecord> {
        if (stored.processing_state == ProcessingState::kComplete) {
          return fail(ErrorCode::kConflict, "agenda \"" + std::string(id) +
                                                "\" already completed (" + stored.state_message +
                                                ")");
        }
        auto progress = agenda_progress_from_json(stored.document);
        if (!progress)
          return fail(ErrorCode::kInternal,
                      "stored progress of \"" + std::string(id) + "\" is unreadable");
        progress->state = ProcessingState::kComplete;
        progress->outcome = AgendaOutcome::kCancelled;
        progress->completed_time = now;
        for (auto& operation : progress->operations) {
          if (operation.state == OperationState::kRunning ||
              operation.state == OperationState::kRetrying) {
            operation.state = OperationState::kCancelled;
            operation.completed_time = now;
          }
        }
        progress->diagnostic_events.push_back({"cancelled on request", now, ""});
        // Revoking the lease is what stops the puller: its next report is fenced off.
        return progress_record(std::string(id), *progress, stored.attempts_completed,
                               stored.maximum_attempts, now);
      });
  if (!written) return fail(written.error());
  if (!queues_.forget(id, now)) queues_.announce_capacity();  // it may have been running
  return written->document;
}

Result<std::size_t> AgendaService::reclaim_expired() {
  const WallTime now = clock_.now();
  auto expired = store_.list_expired_leases(now, kReclaimBatch);
  if (!expired) return fail(expired.error());
  std::size_t reclaimed = 0;
  for (const auto& lease : *expired) {
    auto stored = store_.get_progress(lease.agenda_id);
    if (!stored) continue;  // deleted meanwhile
    auto progress = agenda_progress_from_json(stored->document);
    if (!progress)
      return fail(ErrorCode::kInternal,
                  "stored progress of \"" + lease.agenda_id + "\" is unreadable");
    auto requeue = progress_record(lease.agenda_id, waiting_again(*progress),
                                   stored->attempts_completed, stored->maximum_attempts, now);
    auto taken = store_.reclaim_lease(lease.agenda_id, lease.epoch, now, requeue);
    if (!taken) {
      if (taken.error().code == ErrorCode::kUnavailable) return fail(taken.error());
      continue;  // renewed or released meanwhile
    }
    if (metrics_) metrics_->reclaimed();
    auto record = store_.get_agenda(lease.agenda_id);
    if (record && enqueue(*record)) ++reclaimed;
  }
  return reclaimed;
}

}  // namespace pop::service
