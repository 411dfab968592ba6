#include "scheduler/weighted_fair.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "scheduler/scheduler_test_support.h"

namespace pop::scheduler {
namespace {

using test_support::agenda;
using test_support::at;
using test_support::customers;
using test_support::numbered;

AlgorithmConfig weights(std::map<std::string, double, std::less<>> by_customer) {
  AlgorithmConfig config;
  config.customer_weights = std::move(by_customer);
  return config;
}

// Adds `per_customer` agendas for each customer, interleaved in submit order.
void add_backlog(WeightedFair& fair, const std::string& letters, int per_customer) {
  std::int64_t sequence = 0;
  for (int n = 1; n <= per_customer; ++n) {
    for (char letter : letters) {
      std::string customer(1, letter);
      ASSERT_TRUE(fair.add(agenda(numbered(customer, n), customer, ++sequence)));
    }
  }
}

// Admits `total` agendas through selections of varying size (the split must not matter).
std::string admit(WeightedFair& fair, std::size_t total) {
  std::string admitted;
  for (std::size_t size = 1; admitted.size() < total; size = size % 7 + 1) {
    admitted += customers(fair.select(std::min(size, total - admitted.size()), at(0)));
  }
  return admitted;
}

// The largest |A_i - N * w_i / W| over every window of consecutive admissions, per customer.
std::map<char, double> worst_share_deviation(const std::string& admitted,
                                             const std::map<char, double>& weight) {
  double total_weight = 0;
  for (const auto& [letter, w] : weight) total_weight += w;
  std::map<char, double> worst;
  for (const auto& [letter, w] : weight) {
    std::vector<int> prefix(admitted.size() + 1, 0);
    for (std::size_t k = 0; k < admitted.size(); ++k) {
      prefix[k + 1] = prefix[k] + (admitted[k] == letter ? 1 : 0);
    }
    double deviation = 0;
    for (std::size_t a = 0; a < admitted.size(); ++a) {
      for (std::size_t b = a + 1; b <= admitted.size(); ++b) {
        const double share = static_cast<double>(b - a) * w / total_weight;
        deviation = std::max(deviation, std::abs(prefix[b] - prefix[a] - share));
      }
    }
    worst[letter] = deviation;
  }
  return worst;
}

void expect_within_share_bound(const std::string& admitted, const std::map<char, double>& weight) {
  double total_weight = 0;
  for (const auto& [letter, w] : weight) total_weight += w;
  const double n = static_cast<double>(weight.size());
  const std::map<char, double> worst = worst_share_deviation(admitted, weight);
  for (const auto& [letter, w] : weight) {
    const double bound = 1 + (n - 2) * w / total_weight;  // weighted_fair.h
    const auto count = std::count(admitted.begin(), admitted.end(), letter);
    std::printf(
        "  customer %c weight %g: %ld of %zu admissions (%.2f%%, weighted share %.2f%%), "
        "worst deviation over all windows %.3f agendas (bound %.3f)\n",
        letter, w, static_cast<long>(count), admitted.size(),
        100.0 * static_cast<double>(count) / static_cast<double>(admitted.size()),
        100.0 * w / total_weight, worst.at(letter), bound);
    EXPECT_LE(worst.at(letter), bound + 1e-9) << "customer " << letter;
  }
}

TEST(WeightedFair, SharesOf1To2To5StayWithinTheBoundInEveryWindow) {
  WeightedFair fair(weights({{"A", 1}, {"B", 2}, {"C", 5}}));
  add_backlog(fair, "ABC", 1000);  // all three stay backlogged for the 1,000 admissions
  const std::string admitted = admit(fair, 1000);
  ASSERT_EQ(admitted.size(), 1000u);
  EXPECT_EQ(std::count(admitted.begin(), admitted.end(), 'A'), 125);
  EXPECT_EQ(std::count(admitted.begin(), admitted.end(), 'B'), 250);
  EXPECT_EQ(std::count(admitted.begin(), admitted.end(), 'C'), 625);
  expect_within_share_bound(admitted, {{'A', 1}, {'B', 2}, {'C', 5}});
}

TEST(WeightedFair, RebasingVirtualTimeKeepsTheShares) {
  WeightedFair fair(weights({{"A", 1}, {"B", 2}, {"C", 5}}), /*rebase_above=*/10);
  add_backlog(fair, "ABC", 1000);
  const std::string admitted = admit(fair, 1000);
  EXPECT_LE(fair.virtual_time(), 10 + 1);
  expect_within_share_bound(admitted, {{'A', 1}, {'B', 2}, {'C', 5}});
}

TEST(WeightedFair, UnlistedCustomersWeighTheDefault) {
  AlgorithmConfig config = weights({{"A", 1}});
  config.default_weight = 3;
  WeightedFair fair(config);
  add_backlog(fair, "AB", 100);
  const std::string admitted = admit(fair, 100);
  EXPECT_EQ(std::count(admitted.begin(), admitted.end(), 'B'), 75);
}

// The pairwise bound of weighted_fair.h under random submissions, cancellations and
// selections, checked over every window in which both customers stay backlogged.
TEST(WeightedFair, PairwiseBoundHoldsWhileCustomersComeAndGo) {
  const std::map<std::string, double, std::less<>> weight = {
      {"A", 0.5}, {"B", 1}, {"C", 2}, {"D", 3.5}, {"E", 7}};
  const std::vector<std::string> names = {"A", "B", "C", "D", "E"};
  WeightedFair fair(weights(weight));
  std::mt19937 random(7);
  std::discrete_distribution<std::size_t> submitter({0.5, 1, 2, 3.5, 7});
  std::map<std::string, std::vector<std::string>> waiting;  // per customer, ids held
  std::map<std::string, int> period;  // counts the customer's backlogged periods
  std::vector<std::string> admitted;
  std::vector<std::map<std::string, int>> period_before;  // per admission; -1 when idle
  std::int64_t sequence = 0;

  auto snapshot = [&] {
    std::map<std::string, int> now;
    for (const std::string& name : names) now[name] = waiting[name].empty() ? -1 : period[name];
    return now;
  };
  while (admitted.size() < 1200) {
    const int action = static_cast<int>(random() % 10);
    if (action < 7) {
      // Submissions roughly follow the weights so that customers overlap for long runs.
      const std::string& customer = names[submitter(random)];
      if (waiting[customer].empty()) ++period[customer];
      const std::string id = numbered("x", ++sequence);
      ASSERT_TRUE(fair.add(agenda(id, customer, sequence)));
      waiting[customer].push_back(id);
    } else if (action < 8) {
      const std::string& customer = names[random() % names.size()];
      if (waiting[customer].empty()) continue;
      const std::size_t k = random() % waiting[customer].size();
      ASSERT_TRUE(fair.remove(waiting[customer][k]));
      waiting[customer].erase(waiting[customer].begin() + static_cast<std::ptrdiff_t>(k));
    } else {
      const std::size_t count = 1 + random() % 4;
      for (std::size_t k = 0; k < count; ++k) {
        const std::map<std::string, int> before = snapshot();
        auto one = fair.select(1, at(0));
        if (one.empty()) break;
        std::vector<std::string>& queue = waiting[one[0].customer_id];
        ASSERT_EQ(queue.front(), one[0].agenda_id) << "FIFO within a customer";
        queue.erase(queue.begin());
        admitted.push_back(one[0].customer_id);
        period_before.push_back(before);
      }
    }
  }

  // Flattened for speed: the check below visits millions of windows.
  const std::size_t admissions = admitted.size();
  std::vector<std::vector<int>> period_of(names.size(), std::vector<int>(admissions));
  std::vector<std::size_t> admitted_index(admissions);
  for (std::size_t k = 0; k < admissions; ++k) {
    for (std::size_t c = 0; c < names.size(); ++c) {
      period_of[c][k] = period_before[k].at(names[c]);
      if (admitted[k] == names[c]) admitted_index[k] = c;
    }
  }
  std::size_t windows_checked = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    for (std::size_t j = i + 1; j < names.size(); ++j) {
      const double cost_i = 1 / weight.at(names[i]);
      const double cost_j = 1 / weight.at(names[j]);
      for (std::size_t first = 0; first < admissions; ++first) {
        if (period_of[i][first] < 0 || period_of[j][first] < 0) continue;
        double gap = 0;  // A_i / w_i - A_j / w_j over admissions first..last
        for (std::size_t last = first; last < admissions; ++last) {
          // Both backlogged, in the same periods, from before `first` to before `last`.
          if (period_of[i][last] != period_of[i][first] ||
              period_of[j][last] != period_of[j][first]) {
            break;
          }
          if (admitted_index[last] == i) gap += cost_i;
          if (admitted_index[last] == j) gap -= cost_j;
          ASSERT_LE(std::abs(gap), cost_i + cost_j + 1e-9)
              << names[i] << " and " << names[j] << " over admissions " << first << ".." << last;
          ++windows_checked;
        }
      }
    }
  }
  int periods = 0;
  for (const auto& [name, count] : period) periods += count;
  std::printf("  %zu windows checked over %zu admissions; customers became backlogged %d times\n",
              windows_checked, admitted.size(), periods);
  EXPECT_GT(periods, 50);
  EXPECT_GT(windows_checked, 10'000u);
}

// A replica taking a pool's queues over rebuilds them from the agendas still waiting, with a
// fresh algorithm: its admissions may differ from what the former owner would have admitted
// next, but by no more than one round (a customer's weight in admissions) for any customer,
// at any point of the sequence.
TEST(WeightedFair, RebuiltFromItsWaitingAgendasNoCustomerGainsMoreThanOneRound) {
  const std::map<char, double> weight{{'A', 1}, {'B', 2}, {'C', 5}};
  const AlgorithmConfig config = weights({{"A", 1}, {"B", 2}, {"C", 5}});
  for (std::size_t before : {1u, 5u, 13u, 37u, 50u}) {
    WeightedFair running(config);
    add_backlog(running, "ABC", 60);
    std::set<std::string> admitted;
    for (const auto& taken : running.select(before, at(0))) admitted.insert(taken.agenda_id);
    WeightedFair rebuilt(config);
    std::int64_t sequence = 0;
    for (int n = 1; n <= 60; ++n) {
      for (char letter : std::string("ABC")) {
        const std::string customer(1, letter);
        ++sequence;
        if (admitted.contains(numbered(customer, n))) continue;
        ASSERT_TRUE(rebuilt.add(agenda(numbered(customer, n), customer, sequence)));
      }
    }
    const std::string continued = customers(running.select(80, at(0)));
    const std::string restarted = customers(rebuilt.select(80, at(0)));
    std::map<char, int> ahead;  // restarted minus continued, per customer, after each admission
    for (std::size_t k = 0; k < continued.size(); ++k) {
      ++ahead[restarted[k]];
      --ahead[continued[k]];
      for (const auto& [letter, w] : weight)
        EXPECT_LE(std::abs(ahead[letter]), w)
            << "customer " << letter << " after " << before << " + " << k + 1 << " admissions";
    }
  }
}

TEST(WeightedFair, IdleCustomerBanksNoCredit) {
  WeightedFair fair(weights({}));
  for (int n = 1; n <= 200; ++n) ASSERT_TRUE(fair.add(agenda(numbered("B", n), "B", n)));
  EXPECT_EQ(admit(fair, 100), std::string(100, 'B'));
  for (int n = 1; n <= 100; ++n) {
    ASSERT_TRUE(fair.add(agenda(numbered("A", n), "A", 1000 + n)));
  }
  // A was idle for 100 admissions; it now shares equally instead of catching up.
  const std::string next = admit(fair, 20);
  EXPECT_LE(std::count(next.begin(), next.end(), 'A'), 11) << next;
}

TEST(WeightedFair, GoingIdleAndComingBackGainsNothing) {
  WeightedFair fair(weights({}));
  for (int n = 1; n <= 200; ++n) ASSERT_TRUE(fair.add(agenda(numbered("B", n), "B", n)));
  ASSERT_TRUE(fair.add(agenda("A0", "A", 0)));
  int a_admitted = 0;
  for (int round = 1; round <= 100; ++round) {
    auto one = fair.select(1, at(0));
    ASSERT_EQ(one.size(), 1u);
    if (one[0].customer_id == "A") {  // A always has exactly one agenda waiting
      ++a_admitted;
      ASSERT_TRUE(fair.add(agenda(numbered("A", round), "A", 1000 + round)));
    }
  }
  EXPECT_NEAR(a_admitted, 50, 1);
}

TEST(WeightedFair, WeightChangesApplyFromTheNextAdmission) {
  WeightedFair fair(weights({}));
  add_backlog(fair, "AB", 1000);
  const std::string before = admit(fair, 100);
  EXPECT_EQ(std::count(before.begin(), before.end(), 'A'), 50);
  ASSERT_TRUE(fair.reconfigure(weights({{"A", 3}})));
  const std::string after = admit(fair, 400);
  EXPECT_NEAR(static_cast<double>(std::count(after.begin(), after.end(), 'A')), 300, 2);

  AlgorithmConfig invalid = weights({{"A", 0}});
  auto rejected = fair.reconfigure(invalid);
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().code, ErrorCode::kInvalidArgument);
  const std::string unchanged = admit(fair, 400);
  EXPECT_NEAR(static_cast<double>(std::count(unchanged.begin(), unchanged.end(), 'A')), 300, 2);
}

TEST(WeightedFair, RemovingTheHeadKeepsTheCustomersTurn) {
  WeightedFair fair(weights({}));
  add_backlog(fair, "AB", 3);  // order A1 B1 A2 B2 A3 B3
  EXPECT_TRUE(fair.remove("A1"));
  EXPECT_EQ(test_support::ids(fair.select(6, at(0))),
            (std::vector<std::string>{"A2", "B1", "A3", "B2", "B3"}));
}

TEST(WeightedFair, ExplainMergesCustomersByVirtualStartTime) {
  WeightedFair fair(weights({{"A", 1}, {"B", 3}}));
  add_backlog(fair, "A", 3);
  for (int n = 1; n <= 6; ++n) ASSERT_TRUE(fair.add(agenda(numbered("B", n), "B", 10 + n)));
  // Start times: A 0 1 2; B 0 1/3 2/3 1 4/3 5/3; ties go to A, seen first.
  // Order: A1 B1 B2 B3 A2 B4 B5 B6 A3.
  const std::map<std::string, std::size_t> expected = {{"A1", 0}, {"B1", 1}, {"B3", 3},
                                                       {"A2", 4}, {"B4", 5}, {"A3", 8}};
  for (const auto& [id, position] : expected) {
    auto explanation = fair.explain(id, at(0));
    ASSERT_TRUE(explanation) << id;
    EXPECT_EQ(explanation->position, position) << id;
  }
  EXPECT_NE(fair.explain("B4", at(0))->reason.find("weight 3"), std::string::npos);
  EXPECT_EQ(customers(fair.select(9, at(0))), "ABBBABBBA");
}

}  // namespace
}  // namespace pop::scheduler
