// TLS against a real server: certificates made with the openssl command, served by
// `openssl s_server -www` running as a child process.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "http_client/client.h"
#include "util/temp_dir.h"

extern char** environ;

namespace pop::http_client {
namespace {

using namespace std::chrono_literals;

bool run(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

// A CA key and self-signed certificate at <dir>/<name>.key and <dir>/<name>.pem.
bool make_ca(const std::filesystem::path& dir, const std::string& name) {
  const std::string base = (dir / name).string();
  return run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
             base + ".key -out " + base + ".pem -days 2 -subj /CN=" + name);
}

// <name>.key and <name>.pem, a server certificate for `san` signed by CA `ca`.
bool make_server_certificate(const std::filesystem::path& dir, const std::string& ca,
                             const std::string& name, const std::string& san) {
  const std::string d = dir.string() + "/";
  std::ofstream(dir / (name + ".cnf")) << "subjectAltName=" << san << "\n";
  return run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + d +
             name + ".key -out " + d + name + ".csr -subj /CN=" + name) &&
         run("openssl x509 -req -in " + d + name + ".csr -CA " + d + ca + ".pem -CAkey " + d + ca +
             ".key -CAcreateserial -out " + d + name + ".pem -days 2 -extfile " + d + name +
             ".cnf");
}

// `openssl s_server -www` on 127.0.0.1 with a port the kernel picks; killed and reaped when
// the owner goes away.
class TlsServer {
 public:
  // Serves certificate <dir>/<name>.pem with key <dir>/<name>.key.
  // Further s_server arguments (client verification) follow in `extra`.
  static std::optional<TlsServer> start(const std::filesystem::path& dir, const std::string& name,
                                        const std::vector<std::string>& extra = {}) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return std::nullopt;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
    const std::string cert = (dir / (name + ".pem")).string();
    const std::string key = (dir / (name + ".key")).string();
    std::vector<const char*> argv = {"openssl",    "s_server", "-accept",   "127.0.0.1:0", "-cert",
                                     cert.c_str(), "-key",     key.c_str(), "-www"};
    for (const auto& argument : extra) argv.push_back(argument.c_str());
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int spawned = posix_spawnp(&pid, "openssl", &actions, nullptr,
                                     const_cast<char* const*>(argv.data()), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    if (spawned != 0) {
      ::close(pipe_fds[0]);
      return std::nullopt;
    }
    TlsServer server(pid, pipe_fds[0]);
    if (!server.read_port()) return std::nullopt;
    return server;
  }

  TlsServer(TlsServer&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)),
        output_(std::exchange(other.output_, -1)),
        port_(other.port_) {}
  TlsServer& operator=(TlsServer&&) = delete;
  ~TlsServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (output_ >= 0) ::close(output_);
  }

  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }

 private:
  TlsServer(pid_t pid, int output) : pid_(pid), output_(output) {}

  // s_server prints "ACCEPT 127.0.0.1:<port>" once it listens.
  bool read_port() {
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto accept = text.find("ACCEPT ");
      const auto end = accept == std::string::npos ? accept : text.find('\n', accept);
      if (end != std::string::npos) {
        const auto colon = text.rfind(':', end);
        port_ = std::atoi(text.c_str() + colon + 1);
        return port_ > 0;
      }
      pollfd fd{output_, POLLIN, 0};
      if (::poll(&fd, 1, 1000) < 0) return false;
      char buffer[512];
      const ssize_t n = ::read(output_, buffer, sizeof buffer);
      if (n == 0) break;
      if (n > 0) text.append(buffer, static_cast<std::size_t>(n));
    }
    ADD_FAILURE() << "openssl s_server did not start: " << text;
    return false;
  }

  pid_t pid_;
  int output_;
  int port_ = 0;
};

class ClientTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("pop-http-tls-");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
    ASSERT_TRUE(make_ca(dir_->path(), "right-ca"));
    ASSERT_TRUE(make_ca(dir_->path(), "wrong-ca"));
    ASSERT_TRUE(
        make_server_certificate(dir_->path(), "right-ca", "server", "IP:127.0.0.1,DNS:localhost"));
    auto started = TlsServer::start(dir_->path(), "server");
    ASSERT_TRUE(started);
    server_.emplace(std::move(*started));
  }

  ClientOptions options(const std::string& ca) const {
    return {.base_url = server_->url(),
            .ca_file = (dir_->path() / (ca + ".pem")).string(),
            .proxy = "",
            .connect_timeout = 10s};
  }

  std::optional<TempDir> dir_;
  std::optional<TlsServer> server_;
};

TEST_F(ClientTlsTest, VerifiesTheServerWithTheGivenCa) {
  auto client = Client::create(options("right-ca"));
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->request("GET", "/");
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("HTML"), std::string::npos);
}

TEST_F(ClientTlsTest, RefusesAServerSignedByAnotherCa) {
  auto client = Client::create(options("wrong-ca"));
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->request("GET", "/");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(response.error().message,
            "cannot reach " + server_->url() +
                ": SSL certificate problem: unable to get local issuer certificate");
}

TEST_F(ClientTlsTest, RefusesAServerTheSystemStoreDoesNotTrust) {
  ClientOptions system_store = options("right-ca");
  system_store.ca_file.clear();
  auto client = Client::create(system_store);
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->request("GET", "/");
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().message.find("SSL certificate problem"), std::string::npos)
      << response.error().message;
}

TEST_F(ClientTlsTest, RefusesACertificateForAnotherName) {
  ASSERT_TRUE(
      make_server_certificate(dir_->path(), "right-ca", "elsewhere", "DNS:elsewhere.example"));
  auto elsewhere = TlsServer::start(dir_->path(), "elsewhere");
  ASSERT_TRUE(elsewhere);
  ClientOptions right_ca = options("right-ca");
  right_ca.base_url = elsewhere->url();
  auto client = Client::create(right_ca);
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->request("GET", "/");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(response.error().message.find("target host name '127.0.0.1'"), std::string::npos)
      << response.error().message;
}

TEST_F(ClientTlsTest, VerificationCanBeTurnedOff) {
  ClientOptions insecure = options("wrong-ca");
  insecure.verify_tls = false;
  auto client = Client::create(insecure);
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->request("GET", "/");
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(ClientTlsTest, TakesTheCaAsPemData) {
  ClientOptions in_memory = options("right-ca");
  in_memory.ca_pem = read_text(in_memory.ca_file);
  in_memory.ca_file.clear();
  auto client = Client::create(in_memory);
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->request("GET", "/");
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);

  in_memory.ca_pem = read_text(dir_->path() / "wrong-ca.pem");
  auto wrong = Client::create(in_memory);
  ASSERT_TRUE(wrong) << wrong.error().message;
  auto refused = wrong->request("GET", "/");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("SSL certificate problem"), std::string::npos)
      << refused.error().message;
}

TEST(ClientTlsOptions, RefusesAmbiguousOrIncompleteMaterial) {
  auto refuse = [](ClientOptions options, std::string_view expected) {
    auto client = Client::create(std::move(options));
    ASSERT_FALSE(client);
    EXPECT_EQ(client.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(client.error().message.find(expected), std::string::npos) << client.error().message;
  };
  refuse({.base_url = "https://k", .ca_file = "/etc/hostname", .ca_pem = "x"},
         "CA is given both as a file and as PEM data");
  refuse({.base_url = "https://k", .client_certificate_pem = "x"},
         "a client certificate needs its private key");
  refuse({.base_url = "https://k", .client_key_pem = "x"}, "a client key needs its certificate");
  refuse({.base_url = "https://k",
          .client_certificate_file = "/nonexistent/c.pem",
          .client_key_pem = "x"},
         "client certificate file /nonexistent/c.pem does not exist");
}

// A server that asks for a client certificate signed by client-ca and refuses the handshake
// without one.
class ClientMutualTlsTest : public ClientTlsTest {
 protected:
  void SetUp() override {
    ClientTlsTest::SetUp();
    ASSERT_TRUE(make_ca(dir_->path(), "client-ca"));
    ASSERT_TRUE(make_server_certificate(dir_->path(), "client-ca", "client", "DNS:pop-puller"));
    auto started =
        TlsServer::start(dir_->path(), "server",
                         {"-Verify", "1", "-CAfile", (dir_->path() / "client-ca.pem").string()});
    ASSERT_TRUE(started);
    server_.emplace(std::move(*started));
  }
};

TEST_F(ClientMutualTlsTest, PresentsTheClientCertificateFromPemData) {
  ClientOptions with_certificate = options("right-ca");
  with_certificate.client_certificate_pem = read_text(dir_->path() / "client.pem");
  with_certificate.client_key_pem = read_text(dir_->path() / "client.key");
  auto client = Client::create(with_certificate);
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->request("GET", "/");
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
}

TEST_F(ClientMutualTlsTest, PresentsTheClientCertificateFromFiles) {
  ClientOptions with_certificate = options("right-ca");
  with_certificate.client_certificate_file = (dir_->path() / "client.pem").string();
  with_certificate.client_key_file = (dir_->path() / "client.key").string();
  auto client = Client::create(with_certificate);
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->request("GET", "/");
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
}

TEST_F(ClientMutualTlsTest, FailsWithoutAClientCertificate) {
  auto client = Client::create(options("right-ca"));
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->request("GET", "/");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace pop::http_client
