#include "util/json_fields.h"

#include <gtest/gtest.h>

namespace pop {
namespace {

using Json = nlohmann::json;

TEST(StringField, TextOrEmptyWhateverTheDocumentHolds) {
  EXPECT_EQ(string_field(Json{{"id", "a"}}, "id"), "a");
  for (const Json& other : {Json(5), Json(true), Json::array(), Json::object(), Json(nullptr)})
    EXPECT_EQ(string_field(Json{{"id", other}}, "id"), "") << other.dump();
  EXPECT_EQ(string_field(Json::object(), "id"), "");
  EXPECT_EQ(string_field(Json::array({"id"}), "id"), "");
  EXPECT_EQ(string_field(Json("id"), "id"), "");
}

}  // namespace
}  // namespace pop
