// What happens to agendas, as Prometheus metrics (docs/observability.md): submitted,
// admitted (with the wait from queueing to lease, per insight), completed by outcome,
// retried, taken back from a silent puller, and reports fenced off because their lease had
// moved on.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>

#include <chrono>
#include <string>

#include "metrics/metrics_registry.h"

namespace pop::service {

class AgendaMetrics {
 public:
  // Registers its families in `registry`, which must outlive it.
  explicit AgendaMetrics(metrics::MetricsRegistry& registry);

  void submitted();
  // Handed to a puller after waiting `waited` since it was queued (submitted, retried or
  // rerun).
  void leased(const std::string& insight_id, std::chrono::duration<double> waited);
  // Its puller reported it complete with `outcome` (AgendaProgress::state_message():
  // succeeded, failed, cancelled); `retried`: a failure with attempts left, queued again.
  void completed(const std::string& outcome, bool retried);
  void reclaimed();
  void fenced_off();

 private:
  prometheus::Counter& submitted_;
  prometheus::Family<prometheus::Histogram>& admission_wait_;
  prometheus::Family<prometheus::Counter>& completed_;
  prometheus::Counter& retried_;
  prometheus::Counter& reclaimed_;
  prometheus::Counter& fenced_off_;
};

}  // namespace pop::service
