#include "util/json_size.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace pop {
using Json = nlohmann::json;

namespace {

// The measure must agree with what dump() writes, since limits are documented in
// serialised bytes.
TEST(JsonSizeTest, BytesAreWhatDumpWrites) {
  const Json documents[] = {
      Json(),
      Json(true),
      Json(false),
      Json(0),
      Json(-7),
      Json(std::numeric_limits<std::int64_t>::min()),
      Json(std::numeric_limits<std::uint64_t>::max()),
      Json(1.0),
      Json(-0.000123),
      Json(1e300),
      Json(""),
      Json("quote \" backslash \\ newline \n tab \t bell \x07 del \x7f"),
      Json("UTF-8: \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
      Json::array(),
      Json::object(),
      Json::parse(R"({"a": [1, 2.5, "x", null, {"b\n": {}}], "": [[]], "c": {"d": false}})"),
  };
  for (const Json& document : documents) {
    EXPECT_EQ(json_size(document).bytes, document.dump().size()) << document.dump();
  }
}

TEST(JsonSizeTest, ValuesCountScalarsObjectsAndArraysButNotKeys) {
  EXPECT_EQ(json_size(Json(1)).values, 1u);
  EXPECT_EQ(json_size(Json::object()).values, 1u);
  EXPECT_EQ(json_size(Json::parse(R"({"a": [1, "two"], "b": {}})")).values, 5u);
  EXPECT_EQ(json_string_size("a\"b").bytes, Json("a\"b").dump().size());
  EXPECT_EQ(json_string_size("a\"b").values, 1u);
}

TEST(JsonSizeTest, DepthIsThatOfTheDeepestContainer) {
  EXPECT_EQ(json_size(nlohmann::json(5)).depth, 0);
  EXPECT_EQ(json_size(nlohmann::json::array()).depth, 1);
  EXPECT_EQ(json_size(nlohmann::json::parse(R"({"a": [1, {"b": []}], "c": {}})")).depth, 4);
}

TEST(JsonBudgetTest, ReplacesWithinTheLimitAndRefusesBeyondIt) {
  JsonBudget budget({100, 10}, {40, 4});
  EXPECT_TRUE(budget.replace({10, 1}, {70, 7}));  // exactly at the limit
  EXPECT_EQ(budget.used().bytes, 100u);
  EXPECT_EQ(budget.used().values, 10u);
  EXPECT_FALSE(budget.fits({}, {1, 0}));
  EXPECT_FALSE(budget.replace({}, {1, 0}));
  EXPECT_EQ(budget.used().bytes, 100u);  // a refusal counts nothing
  EXPECT_EQ(budget.passed_limit({}, {1, 0}), "the limit of 100 bytes (serialised)");
  EXPECT_EQ(budget.passed_limit({5, 0}, {0, 1}), "the limit of 10 JSON values");
  EXPECT_TRUE(budget.replace({70, 7}, {0, 0}));
  EXPECT_EQ(budget.used().bytes, 30u);
}

}  // namespace
}  // namespace pop
