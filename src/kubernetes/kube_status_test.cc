#include "kubernetes/kube_status.h"

#include <gtest/gtest.h>

#include "http_client/error_mapping.h"

namespace pop::kubernetes {
using Json = nlohmann::json;

namespace {

http_client::Response status_response(int code, const std::string& reason,
                                      const std::string& message) {
  Json status = {{"kind", "Status"},   {"apiVersion", "v1"}, {"status", "Failure"},
                 {"message", message}, {"reason", reason},   {"code", code}};
  return {.status = code, .headers = {}, .body = status.dump(), .url = "https://k/api/v1/x"};
}

TEST(KubeStatus, MapsReasonsToErrorCodesKeepingTheMessage) {
  struct Case {
    int code;
    const char* reason;
    const char* message;
    ErrorCode expected;
  };
  const Case cases[] = {
      {404, "NotFound", "pods \"x\" not found", ErrorCode::kNotFound},
      {409, "AlreadyExists", "pods \"x\" already exists", ErrorCode::kConflict},
      {409, "Conflict", "the object has been modified", ErrorCode::kConflict},
      {422, "Invalid", "Pod \"X\" is invalid: metadata.name: Invalid value",
       ErrorCode::kInvalidArgument},
      {400, "BadRequest", "bad", ErrorCode::kInvalidArgument},
      {401, "Unauthorized", "Unauthorized", ErrorCode::kUnauthenticated},
      {403, "Forbidden", "pods is forbidden: User \"x\" cannot create", ErrorCode::kForbidden},
      {403, "Forbidden", "pods \"x\" is forbidden: exceeded quota: q, requested: cpu=1",
       ErrorCode::kResourceExhausted},
      {410, "Expired", "too old resource version", ErrorCode::kPreconditionFailed},
      {410, "Gone", "gone", ErrorCode::kPreconditionFailed},
      {429, "TooManyRequests", "slow down", ErrorCode::kResourceExhausted},
      {413, "RequestEntityTooLarge", "too large", ErrorCode::kTooLarge},
      {500, "InternalError", "etcd", ErrorCode::kUnavailable},
      {504, "Timeout", "timeout", ErrorCode::kUnavailable},
      {405, "MethodNotAllowed", "no", ErrorCode::kInternal},
  };
  for (const Case& c : cases) {
    const Error error =
        kubernetes::error_from_response(status_response(c.code, c.reason, c.message));
    EXPECT_EQ(error.code, c.expected) << c.reason << " " << c.message;
    EXPECT_EQ(error.message, c.message);
    ASSERT_FALSE(error.details.empty());
    EXPECT_EQ(error.details.back(), std::string("reason: ") + c.reason);
  }
}

TEST(KubeStatus, RecognisesExpiryAndAlreadyExists) {
  EXPECT_TRUE(is_expired(kubernetes::error_from_response(status_response(410, "Expired", "old"))));
  EXPECT_FALSE(
      is_expired(kubernetes::error_from_response(status_response(404, "NotFound", "gone"))));
  EXPECT_TRUE(is_already_exists(
      kubernetes::error_from_response(status_response(409, "AlreadyExists", "x"))));
  EXPECT_FALSE(
      is_already_exists(kubernetes::error_from_response(status_response(409, "Conflict", "x"))));
  EXPECT_FALSE(
      is_already_exists(kubernetes::error_from_response(status_response(404, "NotFound", "x"))));
}

TEST(KubeStatus, WithoutAStatusTheHttpStatusDecides) {
  const Error error = kubernetes::error_from_response(
      {.status = 503, .headers = {}, .body = "<html>\nno\n</html>", .url = "https://k/api"});
  EXPECT_EQ(error.code, ErrorCode::kUnavailable);
  EXPECT_EQ(error.message, "https://k/api answered 503: <html> no </html>");
  EXPECT_EQ(
      kubernetes::error_from_response({.status = 404, .headers = {}, .body = "", .url = "u"}).code,
      ErrorCode::kNotFound);
  EXPECT_TRUE(is_expired(
      kubernetes::error_from_response({.status = 410, .headers = {}, .body = "", .url = "u"})));
}

// One table for every HTTP client (http_client's), overridden only where Kubernetes documents
// another meaning.
TEST(KubeStatus, WithoutAReasonStatusesMeanWhatTheyMeanToEveryClientExceptGoneAndInvalid) {
  for (const int status : {400, 401, 403, 404, 405, 408, 409, 412, 413, 429, 500, 503, 302}) {
    EXPECT_EQ(error_from_status(status, Json(), "u").code,
              http_client::error_code_for_status(status))
        << status;
  }
  EXPECT_EQ(error_from_status(410, Json(), "u").code, ErrorCode::kPreconditionFailed);
  EXPECT_EQ(http_client::error_code_for_status(422), ErrorCode::kInvalidAgenda);
  EXPECT_EQ(error_from_status(422, Json(), "u").code, ErrorCode::kInvalidArgument);
}

TEST(KubeStatus, AWatchErrorEventTakesItsCodeFromTheStatus) {
  const Error error = error_from_status(
      0, Json{{"kind", "Status"}, {"code", 410}, {"message", "too old"}}, "watch");
  EXPECT_TRUE(is_expired(error));
  EXPECT_EQ(error.message, "too old");
}

}  // namespace
}  // namespace pop::kubernetes
