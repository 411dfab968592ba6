// Builders shared by the scheduler tests (header-only; included by *_test.cc files only).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "scheduler/algorithm_registry.h"
#include "scheduler/scheduling_algorithm.h"

namespace pop::scheduler::test_support {

// prefix + n, built by appending: `"a" + std::to_string(n)` trips GCC 12's false
// -Wrestrict at -O3.
template <typename Number>
std::string numbered(std::string_view prefix, Number n) {
  std::string text(prefix);
  text += std::to_string(n);
  return text;
}

// A fixed, arbitrary wall-clock origin plus `seconds`.
inline TimePoint at(double seconds) {
  return TimePoint(std::chrono::seconds(1'800'000'000)) +
         std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(seconds));
}

inline WaitingAgenda agenda(std::string id, std::string customer, std::int64_t sequence,
                            int priority = 0, TimePoint enqueued_at = at(0)) {
  return WaitingAgenda{std::move(id), std::move(customer), sequence, priority, enqueued_at};
}

inline std::vector<std::string> ids(const std::vector<WaitingAgenda>& agendas) {
  std::vector<std::string> out;
  for (const WaitingAgenda& each : agendas) out.push_back(each.agenda_id);
  return out;
}

inline std::string customers(const std::vector<WaitingAgenda>& agendas) {
  std::string out;
  for (const WaitingAgenda& each : agendas) out += each.customer_id;
  return out;
}

inline std::unique_ptr<SchedulingAlgorithm> make(std::string_view name,
                                                 const AlgorithmConfig& config = {}) {
  auto made = make_algorithm(name, config);
  EXPECT_TRUE(made.has_value()) << (made ? "" : made.error().message);
  return made ? std::move(*made) : nullptr;
}

// Adds agendas named <customer><n> (n: the first number not held) for a string of
// one-letter customers, e.g. "AABC" adds A1, A2, B1, C1 with increasing sequences.
inline void add_letters(SchedulingAlgorithm& algorithm, std::string_view letters,
                        std::int64_t first_sequence = 1) {
  std::int64_t sequence = first_sequence;
  for (char letter : letters) {
    std::string customer(1, letter);
    int n = 1;
    while (algorithm.contains(numbered(customer, n))) ++n;
    ASSERT_TRUE(algorithm.add(agenda(numbered(customer, n), customer, sequence++)));
  }
}

}  // namespace pop::scheduler::test_support
