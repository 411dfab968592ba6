#include "http/error_response.h"

#include <gtest/gtest.h>

namespace pop::http {
namespace {

TEST(ErrorResponseTest, MapsEveryErrorCodeToItsStatus) {
  const std::pair<ErrorCode, int> table[] = {
      {ErrorCode::kInvalidArgument, 400}, {ErrorCode::kUnauthenticated, 401},
      {ErrorCode::kForbidden, 403},       {ErrorCode::kNotFound, 404},
      {ErrorCode::kConflict, 409},        {ErrorCode::kPreconditionFailed, 412},
      {ErrorCode::kTooLarge, 413},        {ErrorCode::kInvalidAgenda, 422},
      {ErrorCode::kInvalidDocument, 422}, {ErrorCode::kResourceExhausted, 429},
      {ErrorCode::kUnavailable, 503},     {ErrorCode::kInternal, 500},
  };
  for (const auto& [code, status] : table) {
    EXPECT_EQ(http_status(code), status) << error_code_name(code);
    const HttpResponse response = error_response(Error{code, "m", {}}, "cid");
    EXPECT_EQ(response.status, status);
    EXPECT_EQ(response.headers.get("Retry-After").has_value(), status == 429);
  }
}

TEST(ErrorResponseTest, HasTheOneErrorShape) {
  const HttpResponse response =
      error_response(Error{ErrorCode::kInvalidAgenda,
                           "agenda is invalid",
                           {"operations[0].name: missing", "cycle: a -> b -> a"}},
                     "cid-1");
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(response.headers.get("Content-Type"), "application/json");
  const Json body = Json::parse(response.body);
  EXPECT_EQ(body, Json::parse(R"({"error": {"code": "invalid_agenda",
                                             "message": "agenda is invalid",
                                             "details": ["operations[0].name: missing",
                                                         "cycle: a -> b -> a"],
                                             "correlationId": "cid-1"}})"));
}

TEST(ErrorResponseTest, EmptyDetailsAreAnEmptyArrayAndBadUtf8IsReplaced) {
  const HttpResponse response =
      error_response(405, "method_not_allowed", "bad \xff byte", {}, "cid");
  EXPECT_EQ(response.status, 405);
  const Json body = Json::parse(response.body);
  EXPECT_EQ(body["error"]["details"], Json::array());
  EXPECT_EQ(body["error"]["message"], "bad \xef\xbf\xbd byte");
}

TEST(JsonResponseTest, SerialisesWithContentType) {
  const HttpResponse response = json_response(201, {{"id", "a1"}});
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, R"({"id":"a1"})");
  EXPECT_EQ(response.headers.get("content-type"), "application/json");
}

}  // namespace
}  // namespace pop::http
