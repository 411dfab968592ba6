#include "scheduler/algorithm_registry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pop::scheduler {
namespace {

TEST(AlgorithmRegistry, MakesEveryBuiltinByName) {
  const std::vector<std::string_view> names(algorithm_names().begin(), algorithm_names().end());
  EXPECT_EQ(names,
            (std::vector<std::string_view>{"fifo", "roundRobin", "weightedFair", "priority"}));
  for (std::string_view name : names) {
    auto made = make_algorithm(name);
    ASSERT_TRUE(made) << name;
    EXPECT_EQ((*made)->name(), name);
    EXPECT_EQ((*made)->size(), 0u);
  }
}

TEST(AlgorithmRegistry, AcceptsTheOriginalPopNames) {
  EXPECT_EQ((*make_algorithm("FirstInFirstOut"))->name(), "fifo");
  EXPECT_EQ((*make_algorithm("RoundRobin"))->name(), "roundRobin");
}

TEST(AlgorithmRegistry, UnknownNameListsTheKnownOnes) {
  for (std::string_view name : {"lifo", "", "FIFO", "weighted_fair"}) {
    auto made = make_algorithm(name);
    ASSERT_FALSE(made) << name;
    EXPECT_EQ(made.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(made.error().message, "schedulingAlgorithm: unknown algorithm \"" +
                                        std::string(name) +
                                        "\"; known: fifo, roundRobin, weightedFair, priority");
  }
}

TEST(AlgorithmRegistry, InvalidConfigurationIsRejected) {
  AlgorithmConfig config;
  config.customer_weights["acme"] = 0;
  auto made = make_algorithm("weightedFair", config);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(made.error().details,
            std::vector<std::string>{"customerWeights.acme: must be a number from 0.001 to 1000, "
                                     "got 0"});
}

}  // namespace
}  // namespace pop::scheduler
