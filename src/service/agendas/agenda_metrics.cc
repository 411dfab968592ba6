#include "service/agendas/agenda_metrics.h"

#include <algorithm>
#include <vector>

namespace pop::service {
namespace {

prometheus::Counter& counter(metrics::MetricsRegistry& registry, const std::string& name,
                             const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry.families()).Add({});
}

}  // namespace

AgendaMetrics::AgendaMetrics(metrics::MetricsRegistry& registry)
    : submitted_(counter(registry, "pop_agendas_submitted_total",
                         "Agendas stored by a submit or a template run (a replayed "
                         "idempotent submit is not counted again).")),
      admission_wait_(prometheus::BuildHistogram()
                          .Name("pop_admission_wait_seconds")
                          .Help("Time from an agenda being queued (submitted, retried or rerun) "
                                "to its lease by a puller, per insight.")
                          .Register(registry.families())),
      completed_(prometheus::BuildCounter()
                     .Name("pop_agendas_completed_total")
                     .Help("Agendas their puller reported complete, by outcome (a failure "
                           "with attempts left is counted, and retried).")
                     .Register(registry.families())),
      retried_(counter(registry, "pop_agenda_retries_total",
                       "Failed agendas queued again because attempts were left.")),
      reclaimed_(counter(registry, "pop_leases_reclaimed_total",
                         "Leases taken back from a puller that stopped reporting; the agenda "
                         "is queued again.")),
      fenced_off_(counter(registry, "pop_reports_fenced_total",
                          "Reports and completions refused because their lease had moved on "
                          "(reclaimed, cancelled or taken by another puller).")) {}

void AgendaMetrics::submitted() { submitted_.Increment(); }

void AgendaMetrics::leased(const std::string& insight_id, std::chrono::duration<double> waited) {
  static const std::vector<double> kBuckets = metrics::duration_buckets();
  admission_wait_.Add({{"insight", insight_id}}, kBuckets).Observe(std::max(0.0, waited.count()));
}

void AgendaMetrics::completed(const std::string& outcome, bool retried) {
  completed_.Add({{"outcome", outcome}}).Increment();
  if (retried) retried_.Increment();
}

void AgendaMetrics::reclaimed() { reclaimed_.Increment(); }

void AgendaMetrics::fenced_off() { fenced_off_.Increment(); }

}  // namespace pop::service
