// What happens to agendas, as Prometheus metrics (docs/observability.md): submitted,
// admitted (with the wait from queueing to lease, per insight), completed by outcome with
// their duration, retried, taken back from a silent puller, and reports fenced off because
// their lease had moved on. With customer labels on, submissions and leases are also
// counted per customer: the first `customer_labels` customers seen by this process each get
// their own series, every later one shares customer="other", so that a flood of customers
// cannot grow the exposition without bound.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "metrics/metrics_registry.h"

namespace pop::service {

class AgendaMetrics {
 public:
  // Registers its families in `registry`, which must outlive it. `customer_labels`: how
  // many customers get series of their own (0: no per-customer series).
  explicit AgendaMetrics(metrics::MetricsRegistry& registry, std::size_t customer_labels = 0);

  void submitted(const std::string& customer_id);
  // Handed to a puller after waiting `waited` since it was queued (submitted, retried or
  // rerun).
  void leased(const std::string& insight_id, const std::string& customer_id,
              std::chrono::duration<double> waited);
  // Its puller reported it complete with `outcome` (AgendaProgress::state_message():
  // succeeded, failed, cancelled) after running for `took` (nullopt: it never started);
  // `retried`: a failure with attempts left, queued again.
  void completed(const std::string& outcome, std::optional<std::chrono::duration<double>> took,
                 bool retried);
  void reclaimed();
  void fenced_off();

 private:
  // The customer's own label, or "other" past the bound.
  std::string customer_label(const std::string& customer_id);

  const std::size_t customer_labels_;
  std::mutex labelled_mutex_;
  std::set<std::string, std::less<>> labelled_;  // guarded by labelled_mutex_

  prometheus::Counter& submitted_;
  prometheus::Family<prometheus::Histogram>& admission_wait_;
  prometheus::Family<prometheus::Counter>& completed_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Counter>* customer_submitted_ = nullptr;  // with customer labels
  prometheus::Family<prometheus::Counter>* customer_leased_ = nullptr;
  prometheus::Counter& retried_;
  prometheus::Counter& reclaimed_;
  prometheus::Counter& fenced_off_;
};

}  // namespace pop::service
