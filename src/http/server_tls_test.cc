// HTTPS: the same server behind TLS, checked with an OpenSSL client that verifies the
// certificate, which the test creates with the openssl command-line tool.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/time.h>

#include <cstdlib>
#include <memory>

#include "http/server.h"
#include "http/server_test_fixture.h"
#include "util/temp_dir.h"

namespace pop::http::testing {
namespace {

class TlsTestClient : public TestClient {
 public:
  ~TlsTestClient() override {
    if (ssl_) SSL_free(ssl_);
    if (context_) SSL_CTX_free(context_);
  }

  // Connects and completes a handshake that verifies the server against `ca_file` and
  // 127.0.0.1. Blocking, with socket timeouts so that a broken server cannot hang it.
  bool connect_tls(std::uint16_t port, const std::string& ca_file) {
    if (!connect(port)) return false;
    timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    context_ = SSL_CTX_new(TLS_client_method());
    if (!context_ || SSL_CTX_load_verify_locations(context_, ca_file.c_str(), nullptr) != 1) {
      return set_error("TLS context setup failed");
    }
    SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(context_);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
    SSL_set_fd(ssl_, fd_);
    if (SSL_connect(ssl_) != 1) {
      return set_error("TLS handshake failed: " + std::to_string(ERR_get_error()));
    }
    return true;
  }

  bool send(std::string_view bytes) override {
    while (!bytes.empty()) {
      const int n = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
      if (n <= 0) return set_error("TLS write failed");
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

 protected:
  long receive(char* out, std::size_t size, Clock::time_point deadline) override {
    if (SSL_pending(ssl_) == 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        set_error("timeout");
        return -1;
      }
    }
    const int n = SSL_read(ssl_, out, static_cast<int>(size));
    if (n > 0) return n;
    const int error = SSL_get_error(ssl_, n);
    if (error == SSL_ERROR_ZERO_RETURN || error == SSL_ERROR_SYSCALL) return 0;  // closed
    set_error("TLS read failed");
    return -1;
  }

 private:
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
};

class ServerTlsTest : public ServerTest {
 protected:
  static void SetUpTestSuite() {
    auto dir = TempDir::create("pop-http-tls-test-");
    ASSERT_TRUE(dir) << dir.error().message;
    dir_.emplace(std::move(*dir));
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 -keyout " +
        key() + " -out " + cert() + " 2>/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string cert() { return (dir_->path() / "cert.pem").string(); }
  static std::string key() { return (dir_->path() / "key.pem").string(); }

  ServerOptions tls_options() {
    ServerOptions options = test_options();
    options.tls = TlsOptions{cert(), key()};
    return options;
  }

  std::unique_ptr<TlsTestClient> connect_tls() {
    auto client = std::make_unique<TlsTestClient>();
    EXPECT_TRUE(client->connect_tls(server_->port(), cert())) << client->error();
    return client;
  }

  static Router router(ParkingLot& lot) {
    Router r;
    EXPECT_TRUE(r.add("GET", "/healthz", [](const HttpRequest&) {
      return json_response(200, {{"status", "ok"}});
    }));
    EXPECT_TRUE(r.add_async("GET", "/poll", lot.handler()));
    return r;
  }

  static inline std::optional<TempDir> dir_;  // the certificate and key, for the suite
};

TEST_F(ServerTlsTest, ServesHttpsWithKeepAlive) {
  start(router(lot_), tls_options());
  auto client = connect_tls();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client->send(http_request("GET", "/healthz")));
    auto response = client->read_response();
    ASSERT_TRUE(response) << client->error();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(body_json(*response)["status"], "ok");
  }
  auto missing = [&] {
    EXPECT_TRUE(client->send(http_request("GET", "/nope")));
    return client->read_response();
  }();
  ASSERT_TRUE(missing);
  expect_error_shape(*missing, "not_found");
}

TEST_F(ServerTlsTest, StreamsAndNoticesDepartureOverTls) {
  start(router(lot_), tls_options());
  auto client = connect_tls();
  ASSERT_TRUE(client->send(http_request("GET", "/poll")));
  ASSERT_TRUE(lot_.wait_for(1));
  Responder& responder = lot_.at(0).responder;
  ASSERT_TRUE(responder.start_stream(200));
  ASSERT_TRUE(client->read_head());
  ASSERT_TRUE(responder.write("one"));
  EXPECT_EQ(client->read_chunk(), "one");
  ASSERT_TRUE(responder.write("two"));
  EXPECT_EQ(client->read_chunk(), "two");

  auto cancelled = std::make_shared<Signal>();
  responder.on_cancel([cancelled](CancelReason) { cancelled->notify(); });
  client.reset();
  EXPECT_TRUE(cancelled->wait());
}

TEST_F(ServerTlsTest, PlainHttpOnTheTlsPortGetsNoHttpAnswer) {
  start(router(lot_), tls_options());
  auto client = connect();
  ASSERT_TRUE(client->send(http_request("GET", "/healthz")));
  EXPECT_FALSE(client->read_response());
  EXPECT_NE(client->error(), "timeout");
  auto after = connect_tls();  // and the server carries on
  ASSERT_TRUE(after->send(http_request("GET", "/healthz")));
  EXPECT_TRUE(after->read_response());
}

TEST_F(ServerTlsTest, UnreadableCertificateFailsStart) {
  ServerOptions options = tls_options();
  options.tls->certificate_chain_file = (dir_->path() / "missing.pem").string();
  Server server(options, router(lot_).to_handler());
  auto started = server.start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(started.error().message.find("missing.pem"), std::string::npos);
}

}  // namespace
}  // namespace pop::http::testing
