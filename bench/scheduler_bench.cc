// Cost of one scheduling decision against a large backlog, for every built-in algorithm.
//
// A decision is select(1) followed by add() of a new agenda, so the backlog stays at its
// size: what the server does when a puller takes one agenda from the ready queue and
// another is submitted. Each decision is timed on its own (steady_clock around the pair);
// "decisions/s" is the count divided by the wall time of the whole loop. The backlog is
// spread over 1,000 customers with priorities 0-9 and enqueue times over the last hour;
// agenda ids are 36 characters, like the store's UUIDs. Memory per waiting agenda is the
// growth of malloc's in-use bytes (mallinfo2) while the backlog is added, divided by its
// size. explain() is timed on random waiting agendas. The max column mostly measures
// preemption on a shared machine: no decision does more than O(log n) work.
//
// Build (Release): g++ -std=c++20 -O2 -Isrc bench/scheduler_bench.cc $(ls src/scheduler/*.cc |
// grep -v _test.cc) src/util/result.cc -o /tmp/scheduler_bench
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "scheduler/algorithm_registry.h"

namespace {

using pop::scheduler::AlgorithmConfig;
using pop::scheduler::SchedulingAlgorithm;
using pop::scheduler::TimePoint;
using pop::scheduler::WaitingAgenda;
using Clock = std::chrono::steady_clock;

constexpr int kCustomers = 1000;
constexpr std::size_t kDecisions = 200'000;
constexpr std::size_t kExplains = 2'000;

std::string agenda_id(std::uint64_t n) {
  char id[64];
  std::snprintf(id, sizeof id, "%08llx-0000-4000-8000-%012llx",
                static_cast<unsigned long long>(n >> 20), static_cast<unsigned long long>(n));
  return id;
}

std::string customer_id(std::uint64_t n) {
  std::string id = "customer-";  // appended: GCC 12 -O3 warns falsely on "literal" + string
  id += std::to_string(n);
  return id;
}

class AgendaMaker {
 public:
  explicit AgendaMaker(TimePoint start) : now_(start), random_(42) {}

  WaitingAgenda next(TimePoint enqueued_at) {
    ++sequence_;
    return WaitingAgenda{agenda_id(static_cast<std::uint64_t>(sequence_)),
                         customer_id(random_() % kCustomers), sequence_,
                         static_cast<int>(random_() % 10), enqueued_at};
  }
  std::mt19937_64& random() { return random_; }
  std::int64_t made() const { return sequence_; }

 private:
  TimePoint now_;
  std::mt19937_64 random_;
  std::int64_t sequence_ = 0;
};

double percentile(std::vector<double>& sorted, double p) {
  const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[index];
}

struct Row {
  double fill_per_second;
  double decisions_per_second;
  double p50_us, p99_us, p999_us, max_us;
  double explain_p50_us, explain_p99_us;
  double bytes_per_agenda;
};

Row measure(std::string_view name, std::size_t backlog) {
  AlgorithmConfig config;
  for (int c = 0; c < kCustomers; c += 10) {
    config.customer_weights[customer_id(static_cast<std::uint64_t>(c))] = 1 + c % 7;
  }
  const TimePoint start = TimePoint(std::chrono::seconds(1'800'000'000));
  AgendaMaker maker(start);

  const std::size_t heap_before = mallinfo2().uordblks;
  auto algorithm = std::move(*pop::scheduler::make_algorithm(name, config));
  std::vector<WaitingAgenda> initial;
  initial.reserve(backlog);
  for (std::size_t k = 0; k < backlog; ++k) {
    const auto age = std::chrono::milliseconds(maker.random()() % 3'600'000);
    initial.push_back(maker.next(start - age));
  }
  const auto fill_start = Clock::now();
  for (WaitingAgenda& agenda : initial) (void)algorithm->add(std::move(agenda));
  const double fill_seconds = std::chrono::duration<double>(Clock::now() - fill_start).count();
  initial.clear();
  initial.shrink_to_fit();
  // The strings moved into the algorithm and the vector is gone, so the growth is the
  // algorithm's own footprint, strings included.
  const std::size_t heap_after = mallinfo2().uordblks;
  const double bytes_per_agenda =
      static_cast<double>(heap_after - heap_before) / static_cast<double>(backlog);

  std::vector<WaitingAgenda> arrivals;
  arrivals.reserve(kDecisions);
  TimePoint now = start;
  for (std::size_t k = 0; k < kDecisions; ++k) {
    now += std::chrono::milliseconds(10);
    arrivals.push_back(maker.next(now));
  }

  std::vector<double> latency_us(kDecisions);
  now = start;
  std::size_t admitted = 0;
  const auto loop_start = Clock::now();
  for (std::size_t k = 0; k < kDecisions; ++k) {
    now += std::chrono::milliseconds(10);
    const auto t0 = Clock::now();
    admitted += algorithm->select(1, now).size();
    (void)algorithm->add(std::move(arrivals[k]));
    const auto t1 = Clock::now();
    latency_us[k] = std::chrono::duration<double, std::micro>(t1 - t0).count();
  }
  const double loop_seconds = std::chrono::duration<double>(Clock::now() - loop_start).count();
  if (admitted != kDecisions || algorithm->size() != backlog) {
    std::fprintf(stderr, "%s: backlog not kept constant\n", std::string(name).c_str());
  }

  std::vector<double> explain_us;
  const auto made = static_cast<std::uint64_t>(maker.made());
  while (explain_us.size() < kExplains) {
    const std::string id = agenda_id(1 + maker.random()() % made);
    if (!algorithm->contains(id)) continue;
    const auto t0 = Clock::now();
    auto explanation = algorithm->explain(id, now);
    const auto t1 = Clock::now();
    if (!explanation) std::fprintf(stderr, "explain failed\n");
    explain_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }

  std::sort(latency_us.begin(), latency_us.end());
  std::sort(explain_us.begin(), explain_us.end());
  return Row{static_cast<double>(backlog) / fill_seconds,
             static_cast<double>(kDecisions) / loop_seconds,
             percentile(latency_us, 0.50),
             percentile(latency_us, 0.99),
             percentile(latency_us, 0.999),
             latency_us.back(),
             percentile(explain_us, 0.50),
             percentile(explain_us, 0.99),
             bytes_per_agenda};
}

}  // namespace

int main() {
  std::printf("decision = select(1) + add(1); %zu decisions per row; %d customers\n\n", kDecisions,
              kCustomers);
  std::printf("%-13s %9s %10s %12s %7s %7s %8s %8s %12s %12s %9s\n", "algorithm", "waiting",
              "adds/s", "decisions/s", "p50 us", "p99 us", "p99.9 us", "max us", "explain p50",
              "explain p99", "B/agenda");
  for (std::string_view name : pop::scheduler::algorithm_names()) {
    for (std::size_t backlog : {std::size_t{100'000}, std::size_t{1'000'000}}) {
      const Row row = measure(name, backlog);
      std::printf("%-13s %9zu %10.0f %12.0f %7.2f %7.2f %8.2f %8.1f %10.2fus %10.2fus %9.0f\n",
                  std::string(name).c_str(), backlog, row.fill_per_second, row.decisions_per_second,
                  row.p50_us, row.p99_us, row.p999_us, row.max_us, row.explain_p50_us,
                  row.explain_p99_us, row.bytes_per_agenda);
      std::fflush(stdout);
    }
  }
  return 0;
}
