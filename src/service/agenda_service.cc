#include "service/agenda_service.h"

#include <climits>
#include <cstdio>

#include "engine/progress.h"
#include "service/insight_binding.h"
#include "util/random_id.h"

namespace pop::service {
namespace {

constexpr int kDefaultAgendaAttempts = 3;  // POP's default for params.maximumAttempts
constexpr std::size_t kReclaimBatch = 100;

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
  record.updated_time = now;
  record.document = progress_document(progress, attempts_completed, maximum_attempts);
  return record;
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

int maximum_attempts_of(const Agenda& agenda) {
  auto it = agenda.params.find("maximumAttempts");
  return it != agenda.params.end() && it->is_number_integer() ? it->get<int>()
                                                              : kDefaultAgendaAttempts;
}

template <typename T>
Result<std::vector<T>> all_pages(
    const std::function<Result<store::Page<T>>(const std::string&)>& list) {
  std::vector<T> items;
  std::string cursor;
  for (;;) {
    auto page = list(cursor);
    if (!page) return tl::unexpected(page.error());
    for (auto& item : page->items) items.push_back(std::move(item));
    if (!page->more) return items;
    cursor = page->next_cursor;
  }
}

}  // namespace

AgendaService::AgendaService(store::Store& store, InsightQueues& queues, TypeKnown type_known,
                             WallClock clock, ServiceOptions options)
    : store_(store),
      queues_(queues),
      type_known_(std::move(type_known)),
      clock_(std::move(clock)),
      options_(std::move(options)) {}

Result<void> AgendaService::start() {
  const WallTime now = clock_();
  const std::string& pool = options_.default_resource_pool;
  Insight catch_all;
  catch_all.id = pool;
  catch_all.resource_pool_id = pool;
  catch_all.title = "Catch-all FIFO insight of the default pool";
  catch_all.queue_size = 100;
  catch_all.is_global = true;
  const store::DocumentRecord defaults[] = {
      {store::DocumentKind::kResourcePool, pool, "", 0, now, now,
       Json{{"id", pool}, {"title", "Default resource pool"}}},
      {store::DocumentKind::kInsight, pool, "", 0, now, now, insight_to_json(catch_all)}};
  for (const auto& record : defaults) {
    auto created = store_.create_document(record);
    if (!created && created.error().code != ErrorCode::kConflict)
      return tl::unexpected(created.error());
  }

  auto insights = all_pages<store::DocumentRecord>([this](const std::string& cursor) {
    return store_.list_documents(
        {store::DocumentKind::kInsight, std::nullopt, cursor, store::kMaxPageLimit});
  });
  if (!insights) return tl::unexpected(insights.error());
  auto weights = customer_weights();
  if (!weights) return tl::unexpected(weights.error());
  for (const auto& record : *insights) {
    auto insight = insight_from_json(record.document);
    if (!insight) {
      return fail(ErrorCode::kInternal,
                  "stored insight \"" + record.id + "\" is unreadable: " + insight.error().message);
    }
    if (auto configured = configure_queue(*insight, *weights); !configured) return configured;
  }

  auto waiting = store_.list_waiting_agendas();
  if (!waiting) return tl::unexpected(waiting.error());
  for (const auto& agenda : *waiting) {
    // A leased one belongs to a puller; if that puller is gone, reclaim_expired() returns it.
    if (agenda.leased) continue;
    auto queued = queues_.enqueue(
        agenda.insight_id,
        {agenda.id, agenda.customer_id, agenda.sequence, agenda.priority, agenda.added_time}, now);
    if (!queued)
      return fail(queued.error().code, "agenda \"" + agenda.id + "\": " + queued.error().message);
  }
  return {};
}

Result<std::map<std::string, double, std::less<>>> AgendaService::customer_weights() {
  auto customers = all_pages<store::DocumentRecord>([this](const std::string& cursor) {
    return store_.list_documents(
        {store::DocumentKind::kCustomer, std::nullopt, cursor, store::kMaxPageLimit});
  });
  if (!customers) return tl::unexpected(customers.error());
  std::map<std::string, double, std::less<>> weights;
  for (const auto& customer : *customers) {
    auto weight = customer.document.find("weight");
    if (weight != customer.document.end() && weight->is_number())
      weights[customer.id] = weight->get<double>();
  }
  return weights;
}

Result<void> AgendaService::configure_queue(
    const Insight& insight, const std::map<std::string, double, std::less<>>& weights) {
  scheduler::AlgorithmConfig config;
  if (auto aging = insight.algorithm_config.find("agingIntervalSeconds");
      aging != insight.algorithm_config.end() && aging->is_number_integer()) {
    config.aging_interval = std::chrono::seconds(aging->get<long long>());
  }
  config.customer_weights = weights;
  return queues_.configure(insight, config, clock_());
}

Result<std::string> AgendaService::resource_pool_of(std::string_view customer_id) {
  auto customer = store_.get_document(store::DocumentKind::kCustomer, customer_id);
  if (!customer) {
    if (customer.error().code == ErrorCode::kNotFound) return options_.default_resource_pool;
    return tl::unexpected(customer.error());
  }
  auto pool = customer->document.find("resourcePoolId");
  if (pool == customer->document.end() || !pool->is_string() || pool->get<std::string>().empty())
    return options_.default_resource_pool;
  return pool->get<std::string>();
}

Result<SubmittedAgenda> AgendaService::submit(const SubmitRequest& request) {
  auto validated = load_agenda(request.body, type_known_, options_.limits);
  if (!validated) return tl::unexpected(validated.error());
  Agenda& agenda = validated->agenda;
  auto priority = agenda_priority(agenda);
  if (!priority) return tl::unexpected(priority.error());
  auto pool = resource_pool_of(request.customer_id);
  if (!pool) return tl::unexpected(pool.error());
  // The queues hold every insight (loaded at start): binding needs no store read.
  const std::vector<Insight> insights = queues_.insights_in_pool(*pool);
  auto insight = bind_insight(agenda, request.customer_id, *pool, insights);
  if (!insight) return tl::unexpected(insight.error());

  const WallTime now = clock_();
  agenda.id = random_uuid();
  agenda.customer_id = request.customer_id;
  Json document = agenda_to_json(agenda);
  document["progressId"] = agenda.id;
  document["agendaInsight"] = {{"resourcePoolId", *pool}, {"insightId", (*insight)->id}};

  AgendaProgress progress;
  progress.agenda_id = agenda.id;
  for (const auto& operation : agenda.operations) {
    OperationProgress operation_progress;
    operation_progress.operation = operation.name;
    progress.operations.push_back(std::move(operation_progress));
  }
  const int maximum_attempts = maximum_attempts_of(agenda);

  store::NewAgenda row;
  row.agenda = {
      agenda.id, agenda.customer_id, *pool, (*insight)->id, agenda.link_id, *priority, 0, now, now,
      document};
  row.progress = progress_record(agenda.id, progress, 0, maximum_attempts, now);
  row.idempotency_key = request.idempotency_key;
  auto inserted = store_.insert_agenda(row);
  if (!inserted) return tl::unexpected(inserted.error());
  if (inserted->replayed) {
    auto first = store_.get_agenda(inserted->agenda_id);
    if (!first) return tl::unexpected(first.error());
    return SubmittedAgenda{first->document, true};
  }
  row.agenda.sequence = inserted->sequence;
  // The agenda is durable: answering with an error now would invite a duplicate submit.
  // A queue that refuses it is a bug; the next start queues it from the store.
  if (auto queued = enqueue(row.agenda); !queued) {
    std::fprintf(stderr, "pop server: agenda %s stored but not queued: %s\n", agenda.id.c_str(),
                 queued.error().message.c_str());
  }
  return SubmittedAgenda{std::move(document), false};
}

Result<void> AgendaService::enqueue(const store::AgendaRecord& record) {
  return queues_.enqueue(
      record.insight_id,
      {record.id, record.customer_id, record.sequence, record.priority, record.added_time},
      clock_());
}

Result<Json> AgendaService::agenda(std::string_view id) {
  auto record = store_.get_agenda(id);
  if (!record) return tl::unexpected(record.error());
  return record->document;
}

Result<Json> AgendaService::progress(std::string_view id) {
  auto record = store_.get_progress(id);
  if (!record) return tl::unexpected(record.error());
  return record->document;
}

Result<Json> AgendaService::explain(std::string_view id) {
  auto stored = store_.get_progress(id);
  if (!stored) return tl::unexpected(stored.error());
  Json out = {{"agendaId", std::string(id)},
              {"processingState", processing_state_name(stored->processing_state)},
              {"processingStateMessage", stored->state_message}};
  if (auto position = queues_.explain(id, clock_())) {
    out["insightId"] = position->insight_id;
    out["algorithm"] = position->algorithm;
    out["ready"] = position->ready;
    out["position"] = position->position;
    out["reason"] = position->reason;
  } else if (stored->processing_state == ProcessingState::kWaiting) {
    out["reason"] = "handed to a puller, which has not started it yet";
  } else {
    out["reason"] = stored->processing_state == ProcessingState::kExecuting
                        ? "executing: a puller owns it"
                        : "complete: it waits for nothing";
  }
  return out;
}

Result<std::vector<LeasedAgenda>> AgendaService::pull(std::string_view resource_pool_id,
                                                      std::string_view puller_id, std::size_t max) {
  const WallTime now = clock_();
  std::vector<LeasedAgenda> leased;
  std::optional<Error> first_error;
  for (ReadyAgenda& ready : queues_.take(queues_.insights_of_pool(resource_pool_id), max, now)) {
    auto lease = lease_one(ready, puller_id, now);
    if (lease) {
      leased.push_back(std::move(*lease));
      continue;
    }
    if (lease.error().code == ErrorCode::kNotFound) continue;  // deleted meanwhile
    // Not handed out, so it must not vanish: back into its queue at its old place.
    (void)queues_.enqueue(ready.insight_id, std::move(ready.agenda), now);
    if (!first_error) first_error = lease.error();
  }
  if (leased.empty() && first_error) return tl::unexpected(*first_error);
  return leased;
}

Result<LeasedAgenda> AgendaService::lease_one(const ReadyAgenda& ready, std::string_view puller_id,
                                              WallTime now) {
  const std::string& id = ready.agenda.agenda_id;
  auto record = store_.get_agenda(id);
  if (!record) return tl::unexpected(record.error());
  auto lease = store_.get_lease(id);
  if (!lease) return tl::unexpected(lease.error());
  auto stored = store_.get_progress(id);
  if (!stored) return tl::unexpected(stored.error());
  auto progress = agenda_progress_from_json(stored->document);
  if (!progress)
    return fail(ErrorCode::kInternal, "stored progress of \"" + id + "\" is unreadable");
  progress->state = ProcessingState::kExecuting;
  if (!progress->started_time) progress->started_time = now;
  store::LeaseAcquisition acquisition{
      id,
      std::string(puller_id),
      lease->epoch,
      now,
      now + options_.lease_duration,
      progress_record(id, *progress, stored->attempts_completed, stored->maximum_attempts, now)};
  auto epoch = store_.acquire_lease(acquisition);
  if (!epoch) return tl::unexpected(epoch.error());
  return LeasedAgenda{std::move(record->document), std::move(acquisition.progress->document),
                      *epoch, acquisition.expires_at};
}

Result<void> AgendaService::report(std::string_view agenda_id, std::uint64_t epoch,
                                   const Json& document) {
  auto progress = agenda_progress_from_json(document);
  if (!progress) return tl::unexpected(progress.error());
  const WallTime now = clock_();
  if (auto renewed = store_.renew_lease(agenda_id, epoch, now + options_.lease_duration); !renewed)
    return renewed;
  auto stored = store_.get_progress(agenda_id);
  if (!stored) return tl::unexpected(stored.error());
  progress->agenda_id = std::string(agenda_id);
  return store_.update_progress(
      progress_record(std::string(agenda_id), *progress, stored->attempts_completed,
                      stored->maximum_attempts, now),
      epoch);
}

Result<void> AgendaService::complete(std::string_view agenda_id, std::uint64_t epoch,
                                     const Json& document) {
  auto progress = agenda_progress_from_json(document);
  if (!progress) return tl::unexpected(progress.error());
  if (progress->state != ProcessingState::kComplete) {
    return fail(ErrorCode::kInvalidArgument,
                "a completed agenda's processingState must be COMPLETE");
  }
  auto stored = store_.get_progress(agenda_id);
  if (!stored) return tl::unexpected(stored.error());
  const WallTime now = clock_();
  const int attempts = stored->attempts_completed + 1;
  progress->agenda_id = std::string(agenda_id);
  const bool retry =
      progress->outcome == AgendaOutcome::kFailed && attempts < stored->maximum_attempts;
  const AgendaProgress final_progress = retry ? waiting_again(*progress) : *progress;
  auto released = store_.release_lease(agenda_id, epoch,
                                       progress_record(std::string(agenda_id), final_progress,
                                                       attempts, stored->maximum_attempts, now));
  if (!released) return released;
  if (!retry) return {};
  // The completion is durable; a failure to queue the retry now must not make the puller
  // report again (it would be fenced off). The next start queues it from the store.
  auto record = store_.get_agenda(agenda_id);
  auto queued = record ? enqueue(*record) : tl::unexpected(record.error());
  if (!queued) {
    std::fprintf(stderr, "pop server: retry of agenda %s stored but not queued: %s\n",
                 std::string(agenda_id).c_str(), queued.error().message.c_str());
  }
  return {};
}

Result<Json> AgendaService::cancel(std::string_view id) {
  auto stored = store_.get_progress(id);
  if (!stored) return tl::unexpected(stored.error());
  if (stored->processing_state == ProcessingState::kComplete) {
    return fail(ErrorCode::kConflict, "agenda \"" + std::string(id) + "\" already completed (" +
                                          stored->state_message + ")");
  }
  auto progress = agenda_progress_from_json(stored->document);
  if (!progress)
    return fail(ErrorCode::kInternal,
                "stored progress of \"" + std::string(id) + "\" is unreadable");
  const WallTime now = clock_();
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
  const auto record = progress_record(std::string(id), *progress, stored->attempts_completed,
                                      stored->maximum_attempts, now);
  auto lease = store_.get_lease(id);
  if (!lease) return tl::unexpected(lease.error());
  // Ending the lease is what stops the puller: its next report is fenced off.
  auto written = lease->holder.empty() ? store_.update_progress(record, std::nullopt)
                                       : store_.release_lease(id, lease->epoch, record);
  if (!written) return tl::unexpected(written.error());
  queues_.forget(id, now);
  return record.document;
}

Result<std::size_t> AgendaService::reclaim_expired() {
  const WallTime now = clock_();
  auto expired = store_.list_expired_leases(now, kReclaimBatch);
  if (!expired) return tl::unexpected(expired.error());
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
      if (taken.error().code == ErrorCode::kUnavailable) return tl::unexpected(taken.error());
      continue;  // renewed or released meanwhile
    }
    auto record = store_.get_agenda(lease.agenda_id);
    if (record && enqueue(*record)) ++reclaimed;
  }
  return reclaimed;
}

}  // namespace pop::service
