#include "http_client/json_request.h"

#include <gtest/gtest.h>

#include <atomic>

#include "http_client/test_server.h"

namespace pop::http_client {
namespace {

using testing::Connection;
using testing::options_for;
using testing::ReceivedRequest;
using testing::TestServer;
using namespace std::chrono_literals;

// Answers like the POP server: JSON bodies, the error shape, X-Correlation-Id.
void pop_like(const ReceivedRequest& request, Connection& connection) {
  if (request.target == "/v1/agendas" && request.method == "POST") {
    connection.respond(201, R"({"id":"a1","echo":)" + request.body + "}",
                       {"Content-Type: application/json"});
  } else if (request.target == "/v1/agendas/a1") {
    connection.respond(204, "");
  } else if (request.target == "/v1/agendas/bad") {
    connection.respond(422,
                       R"({"error":{"code":"invalid_agenda","message":"agenda has a cycle",)"
                       R"("details":["a -> b -> a"],"correlationId":"c-9"}})",
                       {"Content-Type: application/json", "X-Correlation-Id: c-9"});
  } else if (request.target == "/proxy") {
    connection.respond(502, "<html>Bad Gateway</html>", {"Content-Type: text/html"});
  } else if (request.target == "/not-json") {
    connection.respond(200, "hello");
  } else {
    connection.respond(404, R"({"error":{"code":"not_found","message":"no such route"}})");
  }
}

class JsonRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::start_tcp(pop_like);
    ASSERT_TRUE(server_);
    auto client = Client::create(options_for(*server_));
    ASSERT_TRUE(client) << client.error().message;
    client_.emplace(std::move(*client));
  }
  std::unique_ptr<TestServer> server_;
  std::optional<Client> client_;
};

TEST_F(JsonRequestTest, SendsAndParsesJson) {
  const Json agenda = {{"operations", Json::array()}, {"title", "caf\xc3\xa9"}};
  auto answer = request_json(*client_, "POST", "/v1/agendas", agenda);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ((*answer)["id"], "a1");
  EXPECT_EQ((*answer)["echo"], agenda);
  const ReceivedRequest sent = server_->requests().at(0);
  EXPECT_EQ(sent.header("Content-Type"), "application/json");
  EXPECT_EQ(sent.header("Accept"), "application/json");
  EXPECT_EQ(Json::parse(sent.body), agenda);
}

TEST_F(JsonRequestTest, EmptyBodyIsNull) {
  auto answer = request_json(*client_, "DELETE", "/v1/agendas/a1");
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_TRUE(answer->is_null());
  EXPECT_FALSE(server_->requests().at(0).headers.contains("Content-Type"));
}

TEST_F(JsonRequestTest, ErrorBodyBecomesTheServersError) {
  auto answer = request_json(*client_, "GET", "/v1/agendas/bad");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kInvalidAgenda);
  EXPECT_EQ(answer.error().message, "agenda has a cycle");
  EXPECT_EQ(answer.error().details,
            (std::vector<std::string>{"a -> b -> a", "correlation id: c-9"}));

  auto missing = request_json(*client_, "GET", "/v1/nothing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message, "no such route");
}

TEST_F(JsonRequestTest, NonJsonErrorBodyIsQuoted) {
  auto answer = request_json(*client_, "GET", "/proxy");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(answer.error().message,
            server_->base_url() + "/proxy answered 502: <html>Bad Gateway</html>");
}

TEST_F(JsonRequestTest, NonJsonSuccessBodyIsAnError) {
  auto answer = request_json(*client_, "GET", "/not-json");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(answer.error().message.find("not JSON"), std::string::npos);
}

TEST_F(JsonRequestTest, TransportErrorsPassThrough) {
  server_.reset();  // nothing listens on the port any more
  auto answer = request_json(*client_, "GET", "/v1/agendas/a1");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(answer.error().message.find("cannot reach"), std::string::npos)
      << answer.error().message;
}

}  // namespace
}  // namespace pop::http_client
