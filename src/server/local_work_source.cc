#include "server/local_work_source.h"

namespace pop::server {

LocalWorkSource::LocalWorkSource(service::AgendaAccess& agendas, server::ReadySignal& signal,
                                 service::ReportService& reports, service::AttemptLogs& logs,
                                 auth::Principal puller, std::string puller_id, const Clock& clock)
    : agendas_(agendas),
      signal_(signal),
      reports_(reports),
      logs_(logs),
      puller_(std::move(puller)),
      puller_id_(std::move(puller_id)),
      clock_(clock) {}

Result<PullAnswer> LocalWorkSource::pull(std::size_t max, std::chrono::milliseconds wait,
                                         const std::optional<Resources>& available,
                                         const std::set<std::string>& skip_insight_ids) {
  const auto deadline = clock_.steady_now() + wait;
  for (;;) {
    // Read the generation first: work that arrives after the pull below still wakes us.
    const std::uint64_t seen = signal_.generation(puller_.resource_pool_id);
    // A replica that does not keep the pool's queues has nothing for its own puller: it
    // waits as on an empty queue, and taking the pool over fills the queue, which wakes it.
    Result<std::vector<service::LeasedAgenda>> leased = std::vector<service::LeasedAgenda>{};
    if (agendas_.keeps_queues(puller_.resource_pool_id))
      leased = agendas_.pull(puller_, puller_.resource_pool_id, puller_id_, max, available,
                             skip_insight_ids);
    if (!leased) return fail(leased.error());
    if (leased->empty() && clock_.steady_now() < deadline) {
      signal_.wait(clock_, puller_.resource_pool_id, seen, deadline);
      if (!woken_.exchange(false)) continue;
    }
    PullAnswer answer;
    auto limits = agendas_.execution_limits(puller_, puller_.resource_pool_id);
    if (!limits) return fail(limits.error());
    answer.execution_limits = std::move(*limits);
    for (auto& agenda : *leased) {
      answer.assignments.push_back({std::move(agenda.agenda), std::move(agenda.progress),
                                    agenda.epoch, std::move(agenda.lease_key),
                                    std::move(agenda.kubernetes_namespace)});
    }
    return answer;
  }
}

Result<void> LocalWorkSource::report(const std::string& agenda_id, std::uint64_t epoch,
                                     const std::string& lease_key, const Json& progress) {
  return agendas_.report(puller_, agenda_id, epoch, lease_key, progress);
}

Result<void> LocalWorkSource::complete(const std::string& agenda_id, std::uint64_t epoch,
                                       const std::string& lease_key, const Json& progress) {
  return agendas_.complete(puller_, agenda_id, epoch, lease_key, progress);
}

Result<ReportedProgress> LocalWorkSource::reported_progress(const std::string& agenda_id,
                                                            std::uint64_t epoch,
                                                            std::uint64_t after) {
  return reports_.progress_since(agenda_id, epoch, after);
}

Result<std::optional<Json>> LocalWorkSource::reported_output(const std::string& agenda_id,
                                                             std::uint64_t epoch,
                                                             const std::string& operation,
                                                             int attempt) {
  return reports_.output(agenda_id, epoch, operation, attempt);
}

Result<puller::LogChunkAnswer> LocalWorkSource::append_log(const std::string& agenda_id,
                                                           std::uint64_t epoch,
                                                           const std::string& lease_key,
                                                           const puller::LogChunk& chunk) {
  auto state = logs_.append(puller_, agenda_id, epoch, lease_key, chunk.operation, chunk.attempt,
                            chunk.offset, chunk.bytes, chunk.ended);
  if (!state) return fail(state.error());
  return puller::LogChunkAnswer{state->length, state->length > state->kept_bytes};
}

void LocalWorkSource::wake() {
  woken_.store(true);
  signal_.nudge(puller_.resource_pool_id);
}

}  // namespace pop::server
