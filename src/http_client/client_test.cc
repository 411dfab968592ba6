#include "http_client/client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "http_client/test_client.h"
#include "http_client/test_server.h"
#include "util/temp_dir.h"

namespace pop::http_client {
namespace {

using testing::Connection;
using testing::options_for;
using testing::ReceivedRequest;
using testing::TestServer;
using namespace std::chrono_literals;

// Answers every request with 200 and a body naming its method and target.
void echo(const ReceivedRequest& request, Connection& connection) {
  connection.respond(200, request.method + " " + request.target,
                     {"Content-Type: text/plain", "X-Reply: one", "x-reply: two"});
}

using testing::make_client;

TEST(ClientCreate, RejectsBadOptions) {
  auto refuse = [](ClientOptions options, std::string_view expected) {
    auto client = Client::create(std::move(options));
    ASSERT_FALSE(client);
    EXPECT_EQ(client.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(client.error().message.find(expected), std::string::npos) << client.error().message;
  };
  refuse({.base_url = "ftp://example.com"}, "scheme must be http or https");
  refuse({.base_url = "example.com:8443"}, "invalid server URL");
  refuse({.base_url = ""}, "invalid server URL");
  refuse({.base_url = "http://example.com/?q=1"}, "query");
  refuse({.base_url = "http://user:pw@example.com"}, "credentials");
  refuse({.base_url = "https://example.com", .ca_file = "/nonexistent/ca.pem"},
         "CA file /nonexistent/ca.pem");
  refuse({.base_url = "https://example.com", .bearer_token = "a\r\nX-Evil: 1"}, "bearer token");
}

TEST(ClientCreate, AcceptsPathPrefixAndUnixSocketWithoutUrl) {
  auto with_prefix = Client::create({.base_url = "https://pop.example.com/api/"});
  ASSERT_TRUE(with_prefix) << with_prefix.error().message;
  EXPECT_EQ(with_prefix->options().base_url, "https://pop.example.com/api");
  auto unix_only = Client::create({.unix_socket = "/run/docker.sock"});
  ASSERT_TRUE(unix_only) << unix_only.error().message;
  EXPECT_EQ(unix_only->options().base_url, "http://localhost");
}

TEST(Client, GetReturnsStatusHeadersAndBody) {
  auto server = TestServer::start_tcp(echo);
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  auto response = client.request("GET", "/v1/agendas?limit=10");
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->ok());
  EXPECT_EQ(response->body, "GET /v1/agendas?limit=10");
  EXPECT_EQ(response->header("content-type"), "text/plain");
  EXPECT_EQ(response->header("X-REPLY"), "one, two");  // repeated fields joined
  EXPECT_EQ(response->url, server->base_url() + "/v1/agendas?limit=10");
  ASSERT_EQ(server->requests().size(), 1u);
  EXPECT_EQ(server->requests()[0].header("User-Agent"), "pop");
  EXPECT_EQ(server->requests()[0].header("Authorization"), "");
}

TEST(Client, PostSendsBodyHeadersAndBearerToken) {
  auto server = TestServer::start_tcp(echo);
  ASSERT_TRUE(server);
  ClientOptions options = options_for(*server);
  options.bearer_token = "s3cret";
  options.user_agent = "pop-cli/1.0";
  Client client = make_client(options);
  const std::string body = R"({"operations":[]})";
  auto response = client.request("POST", "/v1/agendas", body,
                                 {{"Content-Type", "application/json"}, {"X-Trace", "abc"}});
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "POST /v1/agendas");
  const ReceivedRequest received = server->requests().at(0);
  EXPECT_EQ(received.method, "POST");
  EXPECT_EQ(received.body, body);
  EXPECT_EQ(received.header("Content-Length"), std::to_string(body.size()));
  EXPECT_EQ(received.header("Content-Type"), "application/json");
  EXPECT_EQ(received.header("X-Trace"), "abc");
  EXPECT_EQ(received.header("Authorization"), "Bearer s3cret");
  EXPECT_EQ(received.header("User-Agent"), "pop-cli/1.0");
  EXPECT_FALSE(received.headers.contains("Expect"));
}

TEST(Client, BodyWithoutContentTypeIsNotLabelledAsAForm) {
  auto server = TestServer::start_tcp(echo);
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  ASSERT_TRUE(client.request("PUT", "/v1/x", "raw"));
  ASSERT_TRUE(client.request("POST", "/v1/empty"));
  const auto requests = server->requests();
  EXPECT_EQ(requests.at(0).method, "PUT");
  EXPECT_EQ(requests.at(0).body, "raw");
  EXPECT_FALSE(requests.at(0).headers.contains("Content-Type"));
  EXPECT_EQ(requests.at(1).header("Content-Length"), "0");
}

TEST(Client, RequestHeadersOverrideAndRemoveClientDefaults) {
  auto server = TestServer::start_tcp(echo);
  ASSERT_TRUE(server);
  ClientOptions options = options_for(*server);
  options.bearer_token = "default-token";
  Client client = make_client(options);
  ASSERT_TRUE(client.request("GET", "/a", {}, {{"Authorization", "Bearer op-token"}}));
  ASSERT_TRUE(client.request("GET", "/b", {}, {{"User-Agent", ""}}));
  const auto requests = server->requests();
  EXPECT_EQ(requests.at(0).header("Authorization"), "Bearer op-token");
  EXPECT_FALSE(requests.at(1).headers.contains("User-Agent"));
  EXPECT_EQ(requests.at(1).header("Authorization"), "Bearer default-token");
}

TEST(Client, DeleteAndHeadUseTheirMethods) {
  auto server = TestServer::start_tcp([](const ReceivedRequest& request, Connection& connection) {
    if (request.method == "HEAD") {
      connection.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");  // no body for HEAD
    } else {
      connection.respond(204, "");
    }
  });
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  auto deleted = client.request("DELETE", "/v1/agendas/a1");
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(deleted->status, 204);
  auto head = client.request("HEAD", "/v1/agendas/a1");
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->header("Content-Length"), "5");
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(server->requests().at(0).method, "DELETE");
  EXPECT_EQ(server->requests().at(1).method, "HEAD");
}

TEST(Client, ReusesOneConnectionForSeveralRequests) {
  auto server = TestServer::start_tcp(echo);
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  for (int i = 0; i < 5; ++i) {
    auto response = client.request(i % 2 == 0 ? "GET" : "POST", "/n/" + std::to_string(i), "x");
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 200);
  }
  EXPECT_EQ(server->connections(), 1);
  for (const auto& request : server->requests()) EXPECT_EQ(request.connection, 1);
}

TEST(Client, ReconnectsWhenTheServerClosedTheConnection) {
  auto server = TestServer::start_tcp([](const ReceivedRequest&, Connection& connection) {
    connection.respond(200, "once", {"Connection: close"});
    connection.close_after();
  });
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  ASSERT_TRUE(client.request("GET", "/1"));
  ASSERT_TRUE(server->wait_for_closed_connections(1));
  auto second = client.request("GET", "/2");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->body, "once");
  EXPECT_EQ(server->connections(), 2);
}

TEST(Client, ReconnectsWhenTheServerDroppedAnIdleConnection) {
  // The server closes without announcing it, as an idle timeout on a keep-alive does.
  auto server = TestServer::start_tcp([](const ReceivedRequest& request, Connection& connection) {
    connection.respond(200, request.target);
    connection.close_after();
  });
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(server->wait_for_closed_connections(i - 1));
    auto response = client.request("GET", "/" + std::to_string(i));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->body, "/" + std::to_string(i));
  }
  EXPECT_EQ(server->connections(), 3);
}

TEST(Client, LargeBodyIsSentWithoutWaitingForContinue) {
  auto server = TestServer::start_tcp(echo);
  ASSERT_TRUE(server);
  ClientOptions options = options_for(*server);
  options.request_timeout = 10s;
  Client client = make_client(options);
  const std::string body(3 << 20, 'b');
  const auto start = std::chrono::steady_clock::now();
  auto response = client.request("POST", "/v1/upload", body);
  ASSERT_TRUE(response) << response.error().message;
  // libcurl would otherwise wait a second for a "100 Continue" this server never sends.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms);
  const ReceivedRequest received = server->requests().at(0);
  EXPECT_FALSE(received.headers.contains("Expect"));
  EXPECT_EQ(received.body.size(), body.size());
}

TEST(Client, RejectsMalformedRequestsWithoutSendingThem) {
  auto server = TestServer::start_tcp(echo);
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "no-slash"}, {"GET", "/a b"}, {"GET", "/a\r\nX: y"}, {"GE T", "/"}, {"", "/"}}) {
    auto response = client.request(method, target);
    ASSERT_FALSE(response) << method << " " << target;
    EXPECT_EQ(response.error().code, ErrorCode::kInvalidArgument);
  }
  auto injected = client.request("GET", "/", {}, {{"X-A", "1\r\nX-B: 2"}});
  ASSERT_FALSE(injected);
  EXPECT_EQ(injected.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(server->connections(), 0);
}

TEST(Client, ResponseLargerThanTheLimitIsRefused) {
  auto server = TestServer::start_tcp([](const ReceivedRequest&, Connection& connection) {
    connection.respond(200, std::string(100000, 'x'));
  });
  ASSERT_TRUE(server);
  ClientOptions options = options_for(*server);
  options.max_response_bytes = 1000;
  Client client = make_client(options);
  auto response = client.request("GET", "/big");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kTooLarge);
  EXPECT_NE(response.error().message.find("exceeds 1000 bytes"), std::string::npos)
      << response.error().message;
}

// A port that is bound but not listening refuses connections, and stays ours for the test.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~RefusingPort() { ::close(fd_); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(Client, ConnectionRefusedIsUnavailableNamingTheUrl) {
  RefusingPort port;
  Client client = make_client({.base_url = port.url(), .proxy = ""});
  auto response = client.request("GET", "/v1/agendas");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(response.error().message.rfind("cannot reach " + port.url() + ": ", 0), 0u)
      << response.error().message;
  EXPECT_NE(response.error().message.find("onnect"), std::string::npos) << response.error().message;
}

TEST(Client, ServerThatNeverAnswersTimesOut) {
  auto server = TestServer::start_tcp(
      [](const ReceivedRequest&, Connection& connection) { connection.wait_for_client_close(); });
  ASSERT_TRUE(server);
  ClientOptions options = options_for(*server);
  options.request_timeout = 300ms;
  Client client = make_client(options);
  const auto start = std::chrono::steady_clock::now();
  auto response = client.request("GET", "/slow");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(response.error().message.find("GET " + server->base_url() + "/slow: "),
            std::string::npos)
      << response.error().message;
  EXPECT_NE(response.error().message.find("timed out"), std::string::npos)
      << response.error().message;
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 5s);
  // The abandoned connection is closed, not kept for the next request.
  EXPECT_TRUE(server->wait_for_closed_connections(1));
}

TEST(Client, PerRequestTimeoutOverridesTheDefault) {
  auto server = TestServer::start_tcp(
      [](const ReceivedRequest&, Connection& connection) { connection.wait_for_client_close(); });
  ASSERT_TRUE(server);
  Client client = make_client(options_for(*server));  // default 30 s
  Request request{.method = "GET", .target = "/poll", .timeout = 200ms};
  const auto start = std::chrono::steady_clock::now();
  auto response = client.send(request);
  ASSERT_FALSE(response);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(Client, TalksHttpOverAUnixSocket) {
  auto dir = TempDir::create("pop-http-client-");
  ASSERT_TRUE(dir);
  const std::string path = (dir->path() / "engine.sock").string();
  auto server = TestServer::start_unix(path, echo);
  ASSERT_TRUE(server);
  Client client = make_client({.unix_socket = path});
  for (int i = 0; i < 3; ++i) {
    auto response = client.request("GET", "/v1.43/containers/json");
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->body, "GET /v1.43/containers/json");
  }
  EXPECT_EQ(server->requests().at(0).header("Host"), "localhost");
  EXPECT_EQ(server->connections(), 1);
}

TEST(Client, MissingUnixSocketIsUnavailableNamingThePath) {
  auto dir = TempDir::create("pop-http-client-");
  ASSERT_TRUE(dir);
  const std::string path = (dir->path() / "absent.sock").string();
  Client client = make_client({.unix_socket = path});
  auto response = client.request("GET", "/_ping");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(response.error().message.rfind("cannot reach unix:" + path + ": ", 0), 0u)
      << response.error().message;
}

TEST(Client, MovedClientKeepsWorking) {
  auto server = TestServer::start_tcp(echo);
  ASSERT_TRUE(server);
  Client first = make_client(options_for(*server));
  ASSERT_TRUE(first.request("GET", "/1"));
  Client second = std::move(first);
  ASSERT_TRUE(second.request("GET", "/2"));
  EXPECT_EQ(server->connections(), 1);
}

}  // namespace
}  // namespace pop::http_client
