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

AgendaMetrics::AgendaMetrics(metrics::MetricsRegistry& registry, std::size_t customer_labels)
    : customer_labels_(customer_labels),
      submitted_(counter(registry, "pop_agendas_submitted_total",
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
      duration_(prometheus::BuildHistogram()
                    .Name("pop_agenda_duration_seconds")
                    .Help("Time from an agenda's start to its completion as its puller "
                          "reported it, by outcome (an agenda cancelled before it started is "
                          "not observed).")
                    .Register(registry.families())),
      retried_(counter(registry, "pop_agenda_retries_total",
                       "Failed agendas queued again because attempts were left.")),
      reclaimed_(counter(registry, "pop_leases_reclaimed_total",
                         "Leases taken back from a puller that stopped reporting; the agenda "
                         "is queued again.")),
      fenced_off_(counter(registry, "pop_reports_fenced_total",
                          "Reports and completions refused because their lease had moved on "
                          "(reclaimed, cancelled or taken by another puller).")) {
  if (customer_labels_ == 0) return;
  customer_submitted_ = &prometheus::BuildCounter()
                             .Name("pop_customer_agendas_submitted_total")
                             .Help(
                                 "Agendas submitted, per customer (--metrics-customer-labels "
                                 "customers have their own series; the rest are \"other\").")
                             .Register(registry.families());
  customer_leased_ = &prometheus::BuildCounter()
                          .Name("pop_customer_agendas_leased_total")
                          .Help(
                              "Agendas handed to a puller, per customer (bounded as "
                              "pop_customer_agendas_submitted_total).")
                          .Register(registry.families());
}

std::string AgendaMetrics::customer_label(const std::string& customer_id) {
  std::lock_guard lock(labelled_mutex_);
  if (labelled_.contains(customer_id)) return customer_id;
  if (labelled_.size() >= customer_labels_) return "other";
  labelled_.insert(customer_id);
  return customer_id;
}

void AgendaMetrics::submitted(const std::string& customer_id) {
  submitted_.Increment();
  if (customer_submitted_ != nullptr)
    customer_submitted_->Add({{"customer", customer_label(customer_id)}}).Increment();
}

void AgendaMetrics::leased(const std::string& insight_id, const std::string& customer_id,
                           std::chrono::duration<double> waited) {
  static const std::vector<double> kBuckets = metrics::duration_buckets();
  admission_wait_.Add({{"insight", insight_id}}, kBuckets).Observe(std::max(0.0, waited.count()));
  if (customer_leased_ != nullptr)
    customer_leased_->Add({{"customer", customer_label(customer_id)}}).Increment();
}

void AgendaMetrics::completed(const std::string& outcome,
                              std::optional<std::chrono::duration<double>> took, bool retried) {
  static const std::vector<double> kBuckets = metrics::duration_buckets();
  completed_.Add({{"outcome", outcome}}).Increment();
  if (took) duration_.Add({{"outcome", outcome}}, kBuckets).Observe(std::max(0.0, took->count()));
  if (retried) retried_.Increment();
}

void AgendaMetrics::reclaimed() { reclaimed_.Increment(); }

void AgendaMetrics::fenced_off() { fenced_off_.Increment(); }

}  // namespace pop::service
