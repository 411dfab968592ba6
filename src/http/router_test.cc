// The router alone, without sockets: responses are collected straight from the exchange.
#include "http/router.h"

#include <gtest/gtest.h>

#include "http/error_response.h"
#include "http/exchange.h"

namespace pop::http {
namespace {

class RouterTest : public ::testing::Test {
 protected:
  // Dispatches method + target and returns the complete response the route produced.
  HttpResponse call(const Router& router, std::string method, std::string path) {
    auto exchange = std::make_shared<detail::Exchange>("cid", nullptr,
                                                       std::weak_ptr<detail::ExchangePort>(), 1024);
    HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.correlation_id = "cid";
    router.dispatch(std::move(request), Responder(exchange));
    auto output = exchange->take_output();
    EXPECT_TRUE(output.response.has_value());
    return output.response.value_or(HttpResponse{});
  }

  // A route that answers with the name it was registered under and its path parameters.
  static SyncHandler named(std::string name) {
    return [name](const HttpRequest& request) {
      Json params = Json::object();
      for (const auto& [key, value] : request.path_params) params[key] = value;
      return json_response(200, {{"route", name}, {"params", params}});
    };
  }
  static Json body(const HttpResponse& response) { return Json::parse(response.body); }
};

TEST_F(RouterTest, MatchesLiteralsAndDecodedParameters) {
  Router router;
  ASSERT_TRUE(router.add("GET", "/", named("root")));
  ASSERT_TRUE(router.add("GET", "/v1/agendas/{id}/operations/{op}", named("op")));
  EXPECT_EQ(body(call(router, "GET", "/"))["route"], "root");
  const Json op = body(call(router, "GET", "/v1/agendas/a%2F1/operations/build%20it"));
  EXPECT_EQ(op["route"], "op");
  EXPECT_EQ(op["params"], Json({{"id", "a/1"}, {"op", "build it"}}));
  EXPECT_EQ(call(router, "GET", "/v1/agendas//operations/x").status, 404);  // empty segment
  EXPECT_EQ(call(router, "GET", "/v1/agendas/a/operations/x/").status, 404);
  EXPECT_EQ(call(router, "GET", "/V1/agendas/a/operations/x").status, 404);  // case matters
}

TEST_F(RouterTest, LiteralSegmentsWinOverParameters) {
  Router router;
  ASSERT_TRUE(router.add("GET", "/v1/{kind}/search", named("generic")));
  ASSERT_TRUE(router.add("GET", "/v1/agendas/{id}", named("by-id")));
  ASSERT_TRUE(router.add("GET", "/v1/agendas/search", named("search")));
  EXPECT_EQ(body(call(router, "GET", "/v1/agendas/search"))["route"], "search");
  EXPECT_EQ(body(call(router, "GET", "/v1/agendas/42"))["route"], "by-id");
  EXPECT_EQ(body(call(router, "GET", "/v1/insights/search"))["route"], "generic");
}

TEST_F(RouterTest, MethodIsChosenAmongMatchingRoutes) {
  Router router;
  ASSERT_TRUE(router.add("GET", "/v1/agendas/search", named("search")));
  ASSERT_TRUE(router.add("DELETE", "/v1/agendas/{id}", named("delete")));
  EXPECT_EQ(body(call(router, "DELETE", "/v1/agendas/search"))["route"], "delete");
  const HttpResponse wrong = call(router, "PATCH", "/v1/agendas/search");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.headers.get("Allow"), "DELETE, GET, HEAD");
  EXPECT_EQ(body(wrong)["error"]["code"], "method_not_allowed");
  EXPECT_EQ(body(wrong)["error"]["correlationId"], "cid");
}

TEST_F(RouterTest, UnknownPathIs404AndBadEncodingIs400) {
  Router router;
  ASSERT_TRUE(router.add("GET", "/v1/agendas/{id}", named("by-id")));
  const HttpResponse missing = call(router, "GET", "/v2/agendas/1");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(body(missing)["error"]["code"], "not_found");
  EXPECT_EQ(call(router, "GET", "/v1/agendas/%zz").status, 400);
}

TEST_F(RouterTest, RejectsMalformedAndDuplicatePatterns) {
  Router router;
  for (const char* bad : {"", "v1/x", "/v1/{}", "/v1/{a}/{a}", "/v1/x{a}", "/v1/{a"}) {
    auto added = router.add("GET", bad, named("x"));
    ASSERT_FALSE(added) << bad;
    EXPECT_EQ(added.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  ASSERT_TRUE(router.add("GET", "/v1/{a}", named("x")));
  auto duplicate = router.add("GET", "/v1/{b}", named("y"));
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(router.add("POST", "/v1/{b}", named("y")));
}

TEST_F(RouterTest, GateGuardsEveryRouteButOpenOnes) {
  Router router;
  ASSERT_TRUE(router.add("GET", "/healthz", named("health"), Access::kOpen));
  ASSERT_TRUE(router.add("GET", "/before", named("before")));
  int gate_calls = 0;
  router.set_gate([&gate_calls](HttpRequest& request) -> std::optional<HttpResponse> {
    ++gate_calls;
    if (request.path == "/before") return json_response(401, {{"refused", true}});
    return std::nullopt;
  });
  ASSERT_TRUE(router.add("GET", "/after", named("after")));  // guarded though added later
  EXPECT_EQ(call(router, "GET", "/healthz").status, 200);
  EXPECT_EQ(gate_calls, 0);
  EXPECT_EQ(call(router, "GET", "/before").status, 401);
  EXPECT_EQ(body(call(router, "GET", "/after"))["route"], "after");
  EXPECT_EQ(gate_calls, 2);
  EXPECT_EQ(call(router, "GET", "/nowhere").status, 404);  // no route: nothing to guard
  EXPECT_EQ(gate_calls, 2);
}

TEST_F(RouterTest, ToHandlerDispatchesThroughACopy) {
  Router router;
  ASSERT_TRUE(router.add("GET", "/a", named("a")));
  const Handler handler = router.to_handler();
  ASSERT_TRUE(router.add("GET", "/b", named("b")));  // not seen by the earlier copy
  auto exchange = std::make_shared<detail::Exchange>("cid", nullptr,
                                                     std::weak_ptr<detail::ExchangePort>(), 1024);
  HttpRequest request;
  request.method = "GET";
  request.path = "/b";
  handler(std::move(request), Responder(exchange));
  EXPECT_EQ(exchange->take_output().response->status, 404);
}

TEST_F(RouterTest, HeadIsServedByTheGetRoute) {
  Router router;
  ASSERT_TRUE(router.add("GET", "/thing", named("get")));
  ASSERT_TRUE(router.add("POST", "/other", named("post")));
  ASSERT_TRUE(router.add("GET", "/own", named("get-own")));
  ASSERT_TRUE(router.add("HEAD", "/own", named("head-own")));
  EXPECT_EQ(body(call(router, "HEAD", "/thing"))["route"], "get");
  EXPECT_EQ(body(call(router, "HEAD", "/own"))["route"], "head-own");
  const HttpResponse refused = call(router, "HEAD", "/other");
  EXPECT_EQ(refused.status, 405);
  EXPECT_EQ(refused.headers.get("Allow"), "POST");
}

TEST_F(RouterTest, AdmitDecidesFromTheHeadAloneAndRunsTheGateOnce) {
  Router router;
  ASSERT_TRUE(router.add("POST", "/small", named("small")));
  ASSERT_TRUE(router.add("POST", "/big/{id}", named("big"), BodyLimit{1 << 20}));
  int gate_calls = 0;
  router.set_gate([&gate_calls](HttpRequest& request) -> std::optional<HttpResponse> {
    ++gate_calls;
    if (!request.header("Authorization")) return json_response(401, {{"refused", true}});
    return std::nullopt;
  });

  HttpRequest stranger;
  stranger.method = "POST";
  stranger.path = "/big/1";
  Admission refused = router.admit(stranger);
  ASSERT_TRUE(refused.refusal);
  EXPECT_EQ(refused.refusal->status, 401);

  HttpRequest head;
  head.method = "POST";
  head.path = "/big/7";
  head.headers.add("Authorization", "Bearer x");
  Admission admitted = router.admit(head);
  ASSERT_FALSE(admitted.refusal);
  EXPECT_EQ(admitted.max_body_bytes, 1u << 20);
  EXPECT_EQ(head.path_param("id"), "7");
  EXPECT_EQ(gate_calls, 2);
  // The handler runs without passing the gate again.
  auto exchange = std::make_shared<detail::Exchange>("cid", nullptr,
                                                     std::weak_ptr<detail::ExchangePort>(), 1024);
  admitted.handler(std::move(head), Responder(exchange));
  EXPECT_EQ(body(*exchange->take_output().response)["route"], "big");
  EXPECT_EQ(gate_calls, 2);

  HttpRequest small;
  small.method = "POST";
  small.path = "/small";
  small.headers.add("Authorization", "Bearer x");
  EXPECT_EQ(router.admit(small).max_body_bytes, kDefaultMaxBodyBytes);
}

TEST_F(RouterTest, DispatchRefusesABodyOverTheRouteLimit) {
  Router router;
  ASSERT_TRUE(router.add("POST", "/tiny", named("tiny"), BodyLimit{4}));
  auto exchange = std::make_shared<detail::Exchange>("cid", nullptr,
                                                     std::weak_ptr<detail::ExchangePort>(), 1024);
  HttpRequest request;
  request.method = "POST";
  request.path = "/tiny";
  request.body = "12345";
  router.dispatch(std::move(request), Responder(exchange));
  const HttpResponse response = *exchange->take_output().response;
  EXPECT_EQ(response.status, 413);
  EXPECT_NE(response.body.find("limit of 4 bytes"), std::string::npos) << response.body;
}

TEST_F(RouterTest, ReportsTheLargestBodyAnyRouteReads) {
  Router router;
  EXPECT_EQ(router.max_body_bytes(), kDefaultMaxBodyBytes);
  ASSERT_TRUE(router.add("POST", "/tiny", named("tiny"), BodyLimit{4}));
  ASSERT_TRUE(router.add_async("PUT", "/large", Handler(), BodyLimit{64u << 20}));
  ASSERT_TRUE(router.add("POST", "/medium", named("medium"), BodyLimit{1u << 20}));
  EXPECT_EQ(router.max_body_bytes(), 64u << 20);
}

}  // namespace
}  // namespace pop::http
