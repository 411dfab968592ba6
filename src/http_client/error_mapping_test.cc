#include "http_client/error_mapping.h"

#include <gtest/gtest.h>

namespace pop::http_client {
namespace {

TEST(ErrorMapping, StatusToCode) {
  const std::pair<int, ErrorCode> cases[] = {
      {400, ErrorCode::kInvalidArgument},    {401, ErrorCode::kUnauthenticated},
      {403, ErrorCode::kForbidden},          {404, ErrorCode::kNotFound},
      {405, ErrorCode::kInvalidArgument},    {408, ErrorCode::kUnavailable},
      {409, ErrorCode::kConflict},           {410, ErrorCode::kInvalidArgument},
      {412, ErrorCode::kPreconditionFailed}, {413, ErrorCode::kTooLarge},
      {422, ErrorCode::kInvalidAgenda},      {429, ErrorCode::kResourceExhausted},
      {500, ErrorCode::kUnavailable},        {502, ErrorCode::kUnavailable},
      {503, ErrorCode::kUnavailable},        {504, ErrorCode::kUnavailable},
      {302, ErrorCode::kUnavailable},
  };
  for (const auto& [status, code] : cases) {
    EXPECT_EQ(error_code_for_status(status), code) << status;
  }
}

TEST(ErrorMapping, ServerErrorShapeKeepsMessageDetailsAndCorrelationId) {
  Response response{.status = 422,
                    .body = R"({"error":{"code":"invalid_agenda","message":"agenda has a cycle",
                                "details":["operations: a -> b -> a", {"field":"x"}],
                                "correlationId":"c-42"}})",
                    .url = "http://pop/v1/agendas"};
  response.headers["X-Correlation-Id"] = "from-header";
  const Error error = error_from_response(response);
  EXPECT_EQ(error.code, ErrorCode::kInvalidAgenda);
  EXPECT_EQ(error.message, "agenda has a cycle");
  EXPECT_EQ(error.details, (std::vector<std::string>{"operations: a -> b -> a", R"({"field":"x"})",
                                                     "correlation id: c-42"}));
}

TEST(ErrorMapping, CorrelationIdFallsBackToTheHeader) {
  Response response{.status = 404, .body = R"({"error":{"message":"no agenda a1"}})"};
  response.headers["x-correlation-id"] = "h-7";
  const Error error = error_from_response(response);
  EXPECT_EQ(error.code, ErrorCode::kNotFound);
  EXPECT_EQ(error.message, "no agenda a1");
  EXPECT_EQ(error.details, std::vector<std::string>{"correlation id: h-7"});
}

TEST(ErrorMapping, ForeignBodyIsQuotedShortAndOnOneLine) {
  const Response response{.status = 502,
                          .body = "<html>\r\n<b>Bad Gateway</b>\n" + std::string(500, 'x'),
                          .url = "https://pop:8443/v1/pull"};
  const Error error = error_from_response(response);
  EXPECT_EQ(error.code, ErrorCode::kUnavailable);
  EXPECT_EQ(error.message.rfind("https://pop:8443/v1/pull answered 502: <html>  <b>Bad Gateway", 0),
            0u)
      << error.message;
  EXPECT_EQ(error.message.find('\n'), std::string::npos);
  EXPECT_TRUE(error.message.ends_with("..."));
  EXPECT_LT(error.message.size(), 300u);
  EXPECT_TRUE(error.details.empty());
}

TEST(ErrorMapping, EmptyOrOddlyShapedBodies) {
  EXPECT_EQ(error_from_response({.status = 503, .url = "http://h/x"}).message,
            "http://h/x answered 503");
  EXPECT_EQ(
      error_from_response({.status = 400, .body = R"({"error":"plain"})", .url = "u"}).message,
      R"(u answered 400: {"error":"plain"})");
  EXPECT_EQ(error_from_response({.status = 400, .body = R"({"error":{"message":7}})", .url = "u"})
                .message,
            R"(u answered 400: {"error":{"message":7}})");
}

}  // namespace
}  // namespace pop::http_client
