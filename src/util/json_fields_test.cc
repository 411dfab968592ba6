#include "util/json_fields.h"

#include <gtest/gtest.h>

namespace pop {
using Json = nlohmann::json;

namespace {

TEST(StringField, TextOrEmptyWhateverTheDocumentHolds) {
  EXPECT_EQ(string_field(Json{{"id", "a"}}, "id"), "a");
  for (const Json& other : {Json(5), Json(true), Json::array(), Json::object(), Json(nullptr)})
    EXPECT_EQ(string_field(Json{{"id", other}}, "id"), "") << other.dump();
  EXPECT_EQ(string_field(Json::object(), "id"), "");
  EXPECT_EQ(string_field(Json::array({"id"}), "id"), "");
  EXPECT_EQ(string_field(Json("id"), "id"), "");
}

TEST(IntValue, AnIntWithinRangeOrNothing) {
  EXPECT_EQ(int_value(Json(3)), 3);
  EXPECT_EQ(int_value(Json(-1)), -1);
  EXPECT_EQ(int_value(Json(2147483647)), 2147483647);
  EXPECT_EQ(int_value(Json(-2147483648LL)), -2147483647 - 1);
  for (const Json& other : {Json(4294967296ULL), Json(2147483648LL), Json(-2147483649LL),
                            Json(18446744073709551615ULL), Json(1.5), Json("3"), Json(nullptr)})
    EXPECT_EQ(int_value(other), std::nullopt) << other.dump();
}

}  // namespace
}  // namespace pop
