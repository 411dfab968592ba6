// HTTPS end to end: `pop server --tls-cert --tls-key` with a certificate from a test CA that
// the openssl command makes; the CLI and a standalone `pop puller` reach it with --ca, and
// handlers post to POP_REPORT_URL over HTTPS with curl. A client that trusts another CA, or
// speaks plain HTTP, is refused.
//
// Robust to authentication: when the server wrote <data>/admin.token, every client passes it.
#include <gtest/gtest.h>
#include <signal.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "testing/subprocess.h"
#include "util/temp_dir.h"

namespace pop::e2e {
using Json = nlohmann::json;

namespace {

using pop::testing::ProcessResult;
using pop::testing::Subprocess;
using namespace std::chrono_literals;

bool run_quietly(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

// <dir>/<name>.key and a self-signed <dir>/<name>.pem.
bool make_ca(const std::filesystem::path& dir, const std::string& name) {
  const std::string base = (dir / name).string();
  return run_quietly(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + base +
      ".key -out " + base + ".pem -days 2 -subj /CN=" + name);
}

// <dir>/<name>.key and <dir>/<name>.pem, a certificate for `san` signed by CA `ca`.
bool make_server_certificate(const std::filesystem::path& dir, const std::string& ca,
                             const std::string& name, const std::string& san) {
  const std::string d = dir.string() + "/";
  std::ofstream(dir / (name + ".cnf")) << "subjectAltName=" << san << "\n";
  return run_quietly(
             "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + d +
             name + ".key -out " + d + name + ".csr -subj /CN=" + name) &&
         run_quietly("openssl x509 -req -in " + d + name + ".csr -CA " + d + ca + ".pem -CAkey " +
                     d + ca + ".key -CAcreateserial -out " + d + name + ".pem -days 2 -extfile " +
                     d + name + ".cnf");
}

// A handler that reports its output through the report endpoint, trusting POP_REPORT_CA; the
// output names the URL it used, so the test sees the scheme.
constexpr char kReportingHandler[] =
    R"(curl -sS -f --max-time 20 --cacert "$POP_REPORT_CA" )"
    R"(-H "Authorization: Bearer $POP_REPORT_TOKEN" -H 'Content-Type: application/json' )"
    R"(-d "{\"output\": {\"url\": \"$POP_REPORT_URL\"}}" "$POP_REPORT_URL")";

constexpr char kAgenda[] = R"({"operations": [
  {"name": "a", "type": "sample", "payload": {"resultPayload": {"n": 5}}},
  {"name": "b", "type": "curl-report", "payload": "@<a.out::n>"}]})";

class TlsE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto dir = TempDir::create("pop-tls-certs-");
    ASSERT_TRUE(dir) << dir.error().message;
    certificates_.emplace(std::move(*dir));
    ASSERT_TRUE(make_ca(certificates_->path(), "test-ca"));
    ASSERT_TRUE(make_ca(certificates_->path(), "other-ca"));
    ASSERT_TRUE(
        make_server_certificate(certificates_->path(), "test-ca", "server", "IP:127.0.0.1"));
  }
  static void TearDownTestSuite() { certificates_.reset(); }
  static std::string certificate(const std::string& name) {
    return (certificates_->path() / (name + ".pem")).string();
  }
  static std::string key(const std::string& name) {
    return (certificates_->path() / (name + ".key")).string();
  }

  void SetUp() override {
    ASSERT_TRUE(certificates_) << "the certificates could not be made";
    auto dir = TempDir::create("pop-tls-e2e-");
    ASSERT_TRUE(dir) << dir.error().message;
    dir_.emplace(std::move(*dir));
    const Json registry = {
        {"handlers", {{"curl-report", {{"command", {"/bin/sh", "-c", kReportingHandler}}}}}}};
    std::ofstream(registry_path()) << registry.dump();
  }

  void TearDown() override {
    if (server_) {
      server_->signal(SIGTERM);
      const ProcessResult result = server_->wait();
      EXPECT_EQ(result.exit_status, 0) << result.out << result.err;
      server_.reset();
    }
  }

  std::string scratch() const { return dir_->path().string(); }
  std::string registry_path() const { return (dir_->path() / "handlers.json").string(); }

  // `pop server` over HTTPS on a loopback port the kernel picks; sets url_ and, when the
  // server wrote one, token_.
  void start_server(const std::vector<std::string>& extra) {
    const std::string data = (dir_->path() / "data").string();
    std::vector<std::string> argv = {
        POP_BINARY,  "server",      "--listen",   "127.0.0.1:0",
        "--data",    data,          "--tls-cert", certificate("server"),
        "--tls-key", key("server"), "--handlers", registry_path()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    server_.emplace(argv, std::map<std::string, std::string>{}, scratch());
    const std::regex listening(R"(listening on (https://127\.0\.0\.1:[0-9]+))");
    std::string out;
    std::smatch match;
    const bool started = pop::testing::eventually([&] {
      out = server_->stdout_so_far();
      return std::regex_search(out, match, listening) || pop::testing::process_gone(server_->pid());
    });
    ASSERT_TRUE(started && !match.empty()) << "pop server did not start: " << out;
    url_ = match[1].str();
    std::ifstream token_file(data + "/admin.token");
    if (token_file) {
      std::getline(token_file, token_);
      while (!token_.empty() && std::isspace(static_cast<unsigned char>(token_.back())))
        token_.pop_back();
    }
  }

  // --server, --ca and, when there is one, --token.
  std::vector<std::string> connection(const std::string& server, const std::string& ca) const {
    std::vector<std::string> arguments = {"--server", server, "--ca", ca};
    if (!token_.empty()) arguments.insert(arguments.end(), {"--token", token_});
    return arguments;
  }

  ProcessResult run_pop(std::vector<std::string> arguments, const std::string& ca,
                        const std::string& stdin_text = "") const {
    return run_pop_at(url_, std::move(arguments), ca, stdin_text);
  }
  ProcessResult run_pop_at(const std::string& server, std::vector<std::string> arguments,
                           const std::string& ca, const std::string& stdin_text = "") const {
    arguments.insert(arguments.begin(), POP_BINARY);
    const auto more = connection(server, ca);
    arguments.insert(arguments.end(), more.begin(), more.end());
    return pop::testing::run_process(arguments, {}, scratch(), stdin_text);
  }

  Json progress(const std::string& id) const {
    const ProcessResult status = run_pop({"status", id, "-o", "json"}, certificate("test-ca"));
    EXPECT_EQ(status.exit_status, 0) << status.err;
    return status.exit_status == 0 ? Json::parse(status.out) : Json();
  }

  std::string submit() const {
    const ProcessResult submitted = run_pop({"submit", "-"}, certificate("test-ca"), kAgenda);
    EXPECT_EQ(submitted.exit_status, 0) << submitted.err;
    return submitted.out.substr(0, submitted.out.find('\n'));
  }

  // A standalone puller for the default pool whose stderr goes to its stdout, so that the
  // test can read it while it runs. Its handlers inherit POP_REPORT_CA = `ca`.
  std::unique_ptr<Subprocess> start_puller(const std::string& ca) const {
    std::vector<std::string> argv = {
        "/bin/sh", "-c",         R"(exec "$0" "$@" 2>&1)", POP_BINARY,         "puller", "--pool",
        "default", "--handlers", registry_path(),          "--report-seconds", "0.2"};
    const auto more = connection(url_, ca);
    argv.insert(argv.end(), more.begin(), more.end());
    return std::make_unique<Subprocess>(
        argv, std::map<std::string, std::string>{{"TMPDIR", scratch()}, {"POP_REPORT_CA", ca}},
        scratch());
  }

  static void stop(Subprocess& process, const std::string& what) {
    process.signal(SIGTERM);
    const ProcessResult result = process.wait();
    EXPECT_EQ(result.exit_status, 0) << what << ": " << result.out << result.err;
  }

  // The agenda succeeded, `a` returned 5 and `b` reported its output over HTTPS.
  void expect_succeeded_over_https(const std::string& id) const {
    const Json done = progress(id);
    EXPECT_EQ(done["processingStateMessage"], "succeeded") << done.dump(2);
    EXPECT_EQ(done["operationProgress"][0]["resultPayload"], Json({{"n", 5}})) << done.dump(2);
    EXPECT_EQ(done["operationProgress"][1]["resultPayload"], Json({{"url", url_ + "/v1/reports"}}))
        << done.dump(2);
  }

  static inline std::optional<TempDir> certificates_;  // test-ca, other-ca, server
  std::optional<TempDir> dir_;
  std::optional<Subprocess> server_;
  std::string url_;
  std::string token_;
};

TEST_F(TlsE2eTest, CliAndStandalonePullerRunAnAgendaOverHttps) {
  ASSERT_NO_FATAL_FAILURE(start_server({"--no-embedded-puller"}));
  const std::string id = submit();
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(progress(id)["processingState"], "WAITING");

  auto puller = start_puller(certificate("test-ca"));
  const ProcessResult watched = run_pop({"watch", id}, certificate("test-ca"));
  EXPECT_EQ(watched.exit_status, 0) << watched.out << watched.err;
  EXPECT_NE(watched.out.find(": succeeded 100%"), std::string::npos) << watched.out;
  expect_succeeded_over_https(id);
  stop(*puller, "puller");
}

TEST_F(TlsE2eTest, EmbeddedPullerHandlersReportOverHttps) {
  ASSERT_NO_FATAL_FAILURE(start_server({}));
  const std::string id = submit();
  ASSERT_FALSE(id.empty());
  const ProcessResult watched = run_pop({"watch", id}, certificate("test-ca"));
  EXPECT_EQ(watched.exit_status, 0) << watched.out << watched.err;
  expect_succeeded_over_https(id);
}

TEST_F(TlsE2eTest, ClientsThatTrustAnotherCaAreRefused) {
  ASSERT_NO_FATAL_FAILURE(start_server({"--no-embedded-puller"}));
  const std::string id = submit();
  ASSERT_FALSE(id.empty());

  const ProcessResult status = run_pop({"status", id}, certificate("other-ca"));
  EXPECT_EQ(status.exit_status, 3) << status.out << status.err;
  EXPECT_NE(status.err.find("SSL certificate problem"), std::string::npos) << status.err;
  const ProcessResult submitted = run_pop({"submit", "-"}, certificate("other-ca"), kAgenda);
  EXPECT_NE(submitted.exit_status, 0) << submitted.out;
  EXPECT_NE(submitted.err.find("SSL certificate problem"), std::string::npos) << submitted.err;
  const ProcessResult listed = run_pop({"list", "-o", "json"}, certificate("test-ca"));
  ASSERT_EQ(listed.exit_status, 0) << listed.err;
  EXPECT_EQ(Json::parse(listed.out).size(), 1u) << listed.out;

  // A pull that would have been handed the waiting agenda fails on the certificate.
  auto puller = start_puller(certificate("other-ca"));
  std::string out;
  EXPECT_TRUE(pop::testing::eventually(
      [&] {
        out = puller->stdout_so_far();
        return out.find("pull failed") != std::string::npos ||
               pop::testing::process_gone(puller->pid());
      },
      30s));
  EXPECT_NE(out.find("pull failed error=\"cannot reach " + url_ + ": SSL certificate problem"),
            std::string::npos)
      << out;
  EXPECT_EQ(progress(id)["processingState"], "WAITING");
  stop(*puller, "puller");
}

TEST_F(TlsE2eTest, PlainHttpToTheHttpsPortFails) {
  ASSERT_NO_FATAL_FAILURE(start_server({"--no-embedded-puller"}));
  const std::string plain = std::regex_replace(url_, std::regex("^https://"), "http://");
  const ProcessResult status = run_pop_at(plain, {"list"}, certificate("test-ca"));
  EXPECT_NE(status.exit_status, 0) << status.out;
  EXPECT_FALSE(status.err.empty());
  // The server is unharmed and still answers HTTPS.
  const ProcessResult listed = run_pop({"list"}, certificate("test-ca"));
  EXPECT_EQ(listed.exit_status, 0) << listed.err;
}

}  // namespace
}  // namespace pop::e2e
