// HTTP/1.1 rules a real `pop server` enforces on what it is sent (RFC 9110, RFC 9112), and
// what it writes to its log about requests: HEAD wherever GET is served, Host required,
// only `chunked` as a transfer coding, one Authorization field, and request data escaped
// before it reaches a log line.
#include <gtest/gtest.h>

#include "http/test_http_client.h"
#include "testing/jwt_minter.h"
#include "testing/pop_server_fixture.h"

namespace pop::http {
namespace {

using namespace std::chrono_literals;
using namespace pop::testing;
using http::testing::ClientResponse;
using http::testing::TestClient;

constexpr const char* kIssuer = "https://idp.example";
constexpr const char* kSecret = "a test secret of more than thirty-two bytes";

class RequestRulesTest : public PopServerFixture {
 protected:
  std::vector<std::string> server_arguments() const override {
    return {"--no-embedded-puller", "--jwt-hs256-secret-file", secret_file_, "--jwt-issuer",
            kIssuer};
  }
  void before_start() override {
    // As an editor saves it: the newline is the file's, not the secret's.
    secret_file_ = write_key_file(dir_->path(), "jwt.secret", std::string(kSecret) + "\n");
  }

  // Sends `bytes` on a fresh connection and reads one response (a HEAD's without a body).
  ClientResponse exchange(const std::string& bytes, bool head = false) {
    TestClient client;
    EXPECT_TRUE(client.connect(port()));
    EXPECT_TRUE(client.send(bytes));
    auto response = client.read_response(5s, head);
    EXPECT_TRUE(response) << client.error();
    if (head) {
      // Nothing may follow the head: the connection stays usable for a next request.
      EXPECT_TRUE(client.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
      auto next = client.read_response(5s);
      EXPECT_TRUE(next && next->status == 200) << client.error();
    }
    return response.value_or(ClientResponse{});
  }

  std::string bearer() const { return "Authorization: Bearer " + server_->admin_token() + "\r\n"; }

  std::string secret_file_;
};

TEST_F(RequestRulesTest, HeadIsServedWhereverGetIs) {
  const ClientResponse health = exchange("HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n", true);
  EXPECT_EQ(health.status, 200);
  EXPECT_TRUE(health.body.empty());
  EXPECT_NE(health.headers.get("Content-Length"), "0");  // the GET's length

  const ClientResponse list =
      exchange("HEAD /v1/agendas HTTP/1.1\r\nHost: t\r\n" + bearer() + "\r\n", true);
  EXPECT_EQ(list.status, 200);

  // Where GET is not served, HEAD is not either, and Allow says what is.
  const ClientResponse cancel =
      exchange("HEAD /v1/agendas/x/cancel HTTP/1.1\r\nHost: t\r\n" + bearer() + "\r\n", true);
  EXPECT_EQ(cancel.status, 405);
  const ClientResponse allowed =
      exchange("PUT /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(allowed.status, 405);
  EXPECT_EQ(allowed.headers.get("Allow"), "GET, HEAD");
}

TEST_F(RequestRulesTest, Http11RequestWithoutOrWithTwoHostsIs400) {
  const ClientResponse missing = exchange("GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("Host"), std::string::npos) << missing.body;
  const ClientResponse twice = exchange("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  EXPECT_EQ(twice.status, 400);
  // HTTP/1.0 had no Host.
  EXPECT_EQ(exchange("GET /healthz HTTP/1.0\r\n\r\n").status, 200);
}

TEST_F(RequestRulesTest, TransferCodingsOtherThanASingleChunkedAreRefused) {
  const std::string body = "2\r\n{}\r\n0\r\n\r\n";
  for (const char* coding : {"gzip, chunked", "chunked, chunked", "deflate,chunked"}) {
    const ClientResponse refused = exchange("POST /v1/agendas HTTP/1.1\r\nHost: t\r\n" + bearer() +
                                            "Transfer-Encoding: " + coding + "\r\n\r\n" + body);
    EXPECT_EQ(refused.status, 501) << coding << ": " << refused.body;
    EXPECT_NE(refused.body.find("chunked"), std::string::npos) << refused.body;
  }
  // The one coding a server must understand still works.
  const ClientResponse chunked = exchange("POST /v1/agendas HTTP/1.1\r\nHost: t\r\n" + bearer() +
                                          "Transfer-Encoding: chunked\r\n\r\n" + body);
  EXPECT_EQ(chunked.status, 422) << chunked.body;  // read and validated: no operations
}

TEST_F(RequestRulesTest, TwoAuthorizationFieldsAre400) {
  const ClientResponse refused = exchange("GET /v1/agendas HTTP/1.1\r\nHost: t\r\n" + bearer() +
                                          "Authorization: Bearer pop_someone_else\r\n\r\n");
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("Authorization"), std::string::npos) << refused.body;
}

TEST_F(RequestRulesTest, RequestDataCannotForgeALogLine) {
  // A validly signed member token whose subject carries a line of its own: refused access
  // to the audit log (403), which the server logs with the caller's name.
  const std::string token =
      mint_hs256(kSecret, {{"iss", kIssuer},
                           {"sub", "mallory\npop server: forged line\r\x1b[2J"},
                           {"customers", {"acme"}},
                           {"exp", std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch() + 1h)
                                       .count()}});
  const ClientResponse forbidden =
      exchange("GET /v1/audit HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + token + "\r\n\r\n");
  EXPECT_EQ(forbidden.status, 403) << forbidden.body;
  // And an unknown token, refused by the gate, from a request whose path has escapes.
  EXPECT_EQ(exchange("GET /v1/agendas/%0Apop%20server:%20forged HTTP/1.1\r\nHost: t\r\n"
                     "Authorization: Bearer pop_unknown\r\n\r\n")
                .status,
            401);

  std::string log;
  ASSERT_TRUE(eventually([&] {
    log = server_->stderr_so_far();
    return log.find("mallory") != std::string::npos &&
           log.find("pop_unknown") == std::string::npos &&
           log.find("refused method=GET") != std::string::npos;
  })) << log;
  EXPECT_EQ(log.find("\npop server: forged"), std::string::npos) << log;
  EXPECT_EQ(log.find('\x1b'), std::string::npos) << log;
  EXPECT_EQ(log.find('\r'), std::string::npos) << log;
  EXPECT_NE(log.find("mallory\\npop server: forged line\\r\\x1b[2J"), std::string::npos) << log;
}

}  // namespace
}  // namespace pop::http
