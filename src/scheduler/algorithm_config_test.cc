#include "scheduler/algorithm_config.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace pop::scheduler {
namespace {

struct ConfigCase {
  const char* name;
  AlgorithmConfig config;
  std::vector<std::string> problems;  // empty: valid
};

AlgorithmConfig with(double default_weight, std::map<std::string, double, std::less<>> weights,
                     long aging_seconds) {
  AlgorithmConfig config;
  config.default_weight = default_weight;
  config.customer_weights = std::move(weights);
  config.aging_interval = std::chrono::seconds(aging_seconds);
  return config;
}

class ConfigValidation : public ::testing::TestWithParam<ConfigCase> {};

TEST_P(ConfigValidation, NamesEveryBadField) {
  auto result = validate(GetParam().config);
  if (GetParam().problems.empty()) {
    EXPECT_TRUE(result) << result.error().message;
  } else {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(result.error().details, GetParam().problems);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigValidation,
    ::testing::Values(ConfigCase{"Defaults", AlgorithmConfig{}, {}},
                      ConfigCase{"BoundsAreInclusive", with(0.001, {{"a", 1000}}, 1), {}},
                      ConfigCase{"ZeroWeight",
                                 with(1, {{"a", 0}}, 60),
                                 {"customerWeights.a: must be a number from 0.001 to 1000, got 0"}},
                      ConfigCase{
                          "NaNAndHugeAndZeroInterval",
                          with(std::numeric_limits<double>::quiet_NaN(), {{"big", 1e6}}, 0),
                          {"defaultWeight: must be a number from 0.001 to 1000, got nan",
                           "customerWeights.big: must be a number from 0.001 to 1000, got 1e+06",
                           "agingIntervalSeconds: must be at least 1, got 0"}}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(AlgorithmConfig, UnlistedCustomersGetTheDefaultWeight) {
  const AlgorithmConfig config = with(2.5, {{"a", 4}}, 60);
  EXPECT_EQ(config.weight_of("a"), 4);
  EXPECT_EQ(config.weight_of("b"), 2.5);
}

}  // namespace
}  // namespace pop::scheduler
