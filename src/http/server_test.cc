// The server end to end over real sockets: routing, errors, correlation ids, keep-alive,
// malformed input and handler failures.
#include "http/server.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "http/correlation_id.h"
#include "http/server_test_fixture.h"

namespace pop::http::testing {
namespace {

Router echo_router() {
  Router router;
  EXPECT_TRUE(router.add("GET", "/healthz", [](const HttpRequest&) {
    return json_response(200, {{"status", "ok"}});
  }));
  EXPECT_TRUE(router.add("GET", "/v1/items/{id}", [](const HttpRequest& request) {
    Json tags = Json::array();
    for (auto tag : request.query.get_all("tag")) tags.push_back(tag);
    return json_response(200, {{"id", request.path_param("id")},
                               {"q", request.query.get("q").value_or("")},
                               {"tags", tags},
                               {"remote", request.remote_address},
                               {"correlationId", request.correlation_id}});
  }));
  EXPECT_TRUE(router.add("GET", "/v1/items/special", [](const HttpRequest&) {
    return json_response(200, {{"special", true}});
  }));
  EXPECT_TRUE(router.add("POST", "/v1/items", [](const HttpRequest& request) {
    return json_response(201, {{"received", request.body.size()}});
  }));
  EXPECT_TRUE(router.add("DELETE", "/v1/items/{id}", [](const HttpRequest&) {
    return HttpResponse{204, {}, {}};
  }));
  EXPECT_TRUE(router.add("GET", "/v1/missing", [](const HttpRequest& request) {
    return error_response(Error{ErrorCode::kNotFound, "no such thing", {"first", "second"}},
                          request.correlation_id);
  }));
  EXPECT_TRUE(router.add("GET", "/boom", [](const HttpRequest&) -> HttpResponse {
    throw std::runtime_error("secret database password in message");
  }));
  EXPECT_TRUE(router.add("GET", "/bad-header", [](const HttpRequest&) {
    HttpResponse response = json_response(200, Json::object());
    response.headers.set("X-Injected", "a\r\nSet-Cookie: evil=1");
    response.headers.set("Content-Length", "999");
    return response;
  }));
  return router;
}

TEST_F(ServerTest, RoutesWithPathParamsAndDecodedQuery) {
  start(echo_router());
  auto response = round_trip(http_request("GET", "/v1/items/a%2Fb%20c?q=x+y%26z&tag=1&tag=2"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers.get("Content-Type"), "application/json");
  const Json body = body_json(*response);
  EXPECT_EQ(body["id"], "a/b c");
  EXPECT_EQ(body["q"], "x y&z");
  EXPECT_EQ(body["tags"], Json::array({"1", "2"}));
  EXPECT_EQ(body["remote"].get<std::string>().rfind("127.0.0.1:", 0), 0u);

  auto special = round_trip(http_request("GET", "/v1/items/special"));
  ASSERT_TRUE(special);
  EXPECT_EQ(body_json(*special)["special"], true);  // the literal beats {id}
}

TEST_F(ServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  start(echo_router());
  auto missing = round_trip(http_request("GET", "/nope"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  expect_error_shape(*missing, "not_found");

  auto wrong = round_trip(http_request("PUT", "/v1/items/7"));
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->headers.get("Allow"), "DELETE, GET, HEAD");
  expect_error_shape(*wrong, "method_not_allowed");
}

TEST_F(ServerTest, ErrorResponseCarriesDetailsAndCorrelationId) {
  start(echo_router());
  auto response =
      round_trip(http_request("GET", "/v1/missing", "X-Correlation-Id: trace-42.a:b_c\r\n"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  const Json error = expect_error_shape(*response, "not_found");
  EXPECT_EQ(error["message"], "no such thing");
  EXPECT_EQ(error["details"], Json::array({"first", "second"}));
  EXPECT_EQ(error["correlationId"], "trace-42.a:b_c");
}

TEST_F(ServerTest, CorrelationIdIsEchoedWhenSaneAndGeneratedOtherwise) {
  start(echo_router());
  auto given = round_trip(http_request("GET", "/v1/items/1", "X-Correlation-Id: abc-123\r\n"));
  ASSERT_TRUE(given);
  EXPECT_EQ(given->headers.get("X-Correlation-Id"), "abc-123");
  EXPECT_EQ(body_json(*given)["correlationId"], "abc-123");

  for (const std::string& header :
       {std::string(), std::string("X-Correlation-Id: has space\r\n"),
        "X-Correlation-Id: " + std::string(kMaxCorrelationIdLength + 1, 'a') + "\r\n"}) {
    auto response = round_trip(http_request("GET", "/v1/items/1", header));
    ASSERT_TRUE(response);
    const std::string id(response->headers.get("X-Correlation-Id").value_or(""));
    EXPECT_EQ(id.size(), 32u) << header;
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(body_json(*response)["correlationId"], id);
  }
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start(echo_router());
  auto client = connect();
  std::string remote;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client->send(http_request("GET", "/v1/items/" + std::to_string(i))));
    auto response = client->read_response();
    ASSERT_TRUE(response) << client->error();
    EXPECT_EQ(response->status, 200);
    EXPECT_FALSE(response->headers.get("Connection") == "close");
    const Json body = body_json(*response);
    EXPECT_EQ(body["id"], std::to_string(i));
    if (i == 0) remote = body["remote"];
    EXPECT_EQ(body["remote"], remote);  // same client port: same connection
  }
  ASSERT_TRUE(client->send(http_request("POST", "/v1/items", "", std::string(1000, 'x'))));
  auto posted = client->read_response();
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 201);
  EXPECT_EQ(body_json(*posted)["received"], 1000);
  ASSERT_TRUE(client->send(http_request("DELETE", "/v1/items/3")));
  auto deleted = client->read_response();
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 204);
  EXPECT_FALSE(deleted->headers.contains("Content-Length"));
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start(echo_router());
  auto client = connect();
  ASSERT_TRUE(
      client->send(http_request("GET", "/v1/items/1") + http_request("GET", "/v1/items/2")));
  auto first = client->read_response();
  auto second = client->read_response();
  ASSERT_TRUE(first && second) << client->error();
  EXPECT_EQ(body_json(*first)["id"], "1");
  EXPECT_EQ(body_json(*second)["id"], "2");
}

TEST_F(ServerTest, ConnectionCloseAndHttp10AreHonoured) {
  start(echo_router());
  auto client = connect();
  ASSERT_TRUE(client->send(http_request("GET", "/healthz", "Connection: close\r\n")));
  auto response = client->read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->headers.get("Connection"), "close");
  EXPECT_TRUE(client->wait_closed());

  auto old = connect();
  ASSERT_TRUE(old->send("GET /healthz HTTP/1.0\r\n\r\n"));
  auto old_response = old->read_response();
  ASSERT_TRUE(old_response);
  EXPECT_EQ(old_response->status, 200);
  EXPECT_TRUE(old->wait_closed());
}

TEST_F(ServerTest, HandlerExceptionIs500WithoutItsTextAndServerSurvives) {
  start(echo_router());
  auto client = connect();
  ASSERT_TRUE(client->send(http_request("GET", "/boom")));
  auto response = client->read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  const Json error = expect_error_shape(*response, "internal");
  EXPECT_EQ(error["message"], "internal error");
  EXPECT_EQ(response->body.find("secret"), std::string::npos);
  EXPECT_NE(all_logs().find("secret database password"), std::string::npos);
  EXPECT_NE(all_logs().find(std::string(error["correlationId"])), std::string::npos);

  ASSERT_TRUE(client->send(http_request("GET", "/healthz")));  // same connection still works
  auto after = client->read_response();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST_F(ServerTest, UnsafeAndReservedResponseHeadersAreDropped) {
  start(echo_router());
  auto response = round_trip(http_request("GET", "/bad-header"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_FALSE(response->headers.contains("X-Injected"));
  EXPECT_FALSE(response->headers.contains("Set-Cookie"));
  EXPECT_EQ(response->headers.get("Content-Length"), "2");
}

TEST_F(ServerTest, HandlerCanCloseTheConnection) {
  Router router;
  ASSERT_TRUE(router.add("GET", "/bye", [](const HttpRequest&) {
    HttpResponse response = json_response(200, Json::object());
    response.headers.set("Connection", "close");
    return response;
  }));
  start(router);
  auto client = connect();
  ASSERT_TRUE(client->send(http_request("GET", "/bye")));
  auto response = client->read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->headers.get("Connection"), "close");
  EXPECT_TRUE(client->wait_closed());
}

TEST_F(ServerTest, MalformedRequestIs400AndClosesTheConnection) {
  start(echo_router());
  for (const char* bad : {"GARBAGE\r\n\r\n", "GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n",
                          "GET /healthz HTTP/1.1\r\nContent-Length: x\r\n\r\n"}) {
    auto client = connect();
    ASSERT_TRUE(client->send(bad));
    auto response = client->read_response();
    ASSERT_TRUE(response) << bad << ": " << client->error();
    EXPECT_EQ(response->status, 400) << bad;
    expect_error_shape(*response, "invalid_argument");
    EXPECT_EQ(response->headers.get("Connection"), "close");
    EXPECT_TRUE(client->wait_closed()) << bad;
  }
}

TEST_F(ServerTest, BadTargetsAre400AndKeepTheConnection) {
  start(echo_router());
  auto client = connect();
  for (const char* target : {"/v1/items/1?q=%zz", "/v1/items/%zz", "/v1/items/a%00b"}) {
    ASSERT_TRUE(client->send(http_request("GET", target)));
    auto response = client->read_response();
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->status, 400) << target;
    expect_error_shape(*response, "invalid_argument");
  }
}

TEST_F(ServerTest, ExpectContinueGetsAnInterimResponse) {
  start(echo_router());
  auto client = connect();
  ASSERT_TRUE(client->send(
      "POST /v1/items HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(client->read_raw_line(), "HTTP/1.1 100 Continue");
  EXPECT_EQ(client->read_raw_line(), "");
  ASSERT_TRUE(client->send("hello"));
  auto response = client->read_response();
  ASSERT_TRUE(response) << client->error();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(body_json(*response)["received"], 5);
}

TEST_F(ServerTest, HeadRequestGetsHeadersOnly) {
  Router router;
  ASSERT_TRUE(router.add("HEAD", "/thing", [](const HttpRequest&) {
    return HttpResponse{200, {}, "twelve bytes"};
  }));
  start(router);
  auto client = connect();
  ASSERT_TRUE(client->send(http_request("HEAD", "/thing") + http_request("HEAD", "/thing")));
  for (int i = 0; i < 2; ++i) {
    auto response = client->read_response(std::chrono::seconds(10), /*head=*/true);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->headers.get("Content-Length"), "12");
  }
}

TEST_F(ServerTest, StartFailsCleanlyWhenThePortIsTaken) {
  start(echo_router());
  ServerOptions options = test_options();
  options.port = server_->port();
  Server second(options, echo_router().to_handler());
  auto started = second.start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kUnavailable);
}

TEST_F(ServerTest, StopIsIdempotentAndRefusesNewConnections) {
  start(echo_router());
  const auto port = server_->port();
  server_->stop();
  server_->stop();
  TestClient client;
  EXPECT_FALSE(client.connect(port));
}

}  // namespace
}  // namespace pop::http::testing
