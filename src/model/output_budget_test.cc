#include "model/output_budget.h"

#include <gtest/gtest.h>

#include <string>

namespace pop {
using Json = nlohmann::json;

namespace {

ExecutionLimits small_limits() {
  ExecutionLimits limits;
  limits.output = {100, 10};
  limits.outputs = {150, 20};
  return limits;
}

TEST(OutputBudgetTest, EachOutputAndAllTogetherStayWithinTheirLimits) {
  OutputBudget budget(small_limits(), 3);
  EXPECT_TRUE(budget.admit(0, Json(std::string(78, 'a'))));  // 80 bytes

  auto alone = budget.admit(1, Json(std::string(99, 'b')));
  ASSERT_FALSE(alone);
  EXPECT_EQ(alone.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(alone.error().message,
            "the output is 101 bytes (serialised), over the limit of 100 bytes for one output");

  auto together = budget.admit(1, Json(std::string(78, 'b')));
  ASSERT_FALSE(together);
  EXPECT_EQ(together.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(together.error().message,
            "the output (80 bytes) would take the agenda's outputs past the limit of 150 bytes "
            "(serialised) for all outputs of an agenda");
  EXPECT_TRUE(budget.admit(1, Json(std::string(68, 'b'))));  // 80 + 70 = 150: at the limit

  Json many = Json::array();
  for (int i = 0; i < 10; ++i) many.push_back(i);
  auto values = budget.admit(2, many);
  ASSERT_FALSE(values);
  EXPECT_EQ(values.error().message,
            "the output holds 11 JSON values, over the limit of 10 for one output");
}

// A retried or resumed operation's new output replaces its old one in the count.
TEST(OutputBudgetTest, AnOperationsNewOutputReplacesItsOld) {
  OutputBudget budget(small_limits(), 2);
  EXPECT_TRUE(budget.admit(0, Json(std::string(78, 'a'))));
  EXPECT_TRUE(budget.admit(0, Json(std::string(78, 'a'))));
  EXPECT_TRUE(budget.admit(1, Json(std::string(68, 'b'))));
  EXPECT_TRUE(budget.admit(0, Json()));  // null: 4 bytes
  EXPECT_TRUE(budget.admit(1, Json(std::string(98, 'b'))));
}

}  // namespace
}  // namespace pop
