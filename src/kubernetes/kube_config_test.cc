#include "kubernetes/kube_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "util/temp_dir.h"

namespace pop::kubernetes {
namespace {

namespace fs = std::filesystem;

// base64 of "-----BEGIN CERTIFICATE-----\nCA\n" and friends, as kubectl writes them.
constexpr char kCaData[] = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCg==";
constexpr char kCaText[] = "-----BEGIN CERTIFICATE-----\nCA\n";
constexpr char kCertData[] = "Q0VSVA==";  // "CERT"
constexpr char kKeyData[] = "S0VZ";       // "KEY"

class KubeConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("pop-kubeconfig-");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
  }

  fs::path write(const std::string& name, const std::string& text) {
    const fs::path path = dir_->path() / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path;
  }

  // A kubeconfig with two clusters, three users and three contexts.
  fs::path standard_config() {
    return write("config", R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://dev.example:6443
    certificate-authority-data: )" +
                               std::string(kCaData) + R"(
- name: prod-cluster
  cluster:
    server: https://prod.example:443/k8s/clusters/c-1
    certificate-authority: certs/prod-ca.pem
    proxy-url: http://proxy.example:3128
users:
- name: token-user
  user:
    token: "  abc.def  "
- name: cert-user
  user:
    client-certificate-data: )" +
                               std::string(kCertData) + R"(
    client-key-data: )" + std::string(kKeyData) +
                               R"(
- name: file-user
  user:
    client-certificate: certs/client.pem
    client-key: /abs/client.key
    tokenFile: tokens/t
contexts:
- name: dev
  context: {cluster: dev-cluster, user: token-user, namespace: team-a}
- name: prod
  context: {cluster: prod-cluster, user: cert-user}
- name: prod-files
  context: {cluster: prod-cluster, user: file-user, namespace: "0123"}
)");
  }

  static void expect_error(const Result<KubeConfig>& config, ErrorCode code,
                           const std::string& fragment) {
    ASSERT_FALSE(config) << "expected an error containing " << fragment;
    EXPECT_EQ(config.error().code, code) << config.error().message;
    EXPECT_NE(config.error().message.find(fragment), std::string::npos) << config.error().message;
  }

  std::optional<TempDir> dir_;
};

TEST_F(KubeConfigTest, CurrentContextWithTokenAndCaData) {
  const fs::path path = standard_config();
  auto config = load_kubeconfig(path, "");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->server, "https://dev.example:6443");
  EXPECT_EQ(config->ca_pem, kCaText);
  EXPECT_EQ(config->ca_file, "");
  EXPECT_EQ(config->token, "abc.def");
  EXPECT_EQ(config->default_namespace, "team-a");
  EXPECT_FALSE(config->insecure_skip_tls_verify);
  EXPECT_FALSE(config->proxy_url);
  EXPECT_EQ(config->origin, "kubeconfig " + path.string() + ", context dev");
}

TEST_F(KubeConfigTest, NamedContextWithClientCertificateData) {
  auto config = load_kubeconfig(standard_config(), "prod");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->server, "https://prod.example:443/k8s/clusters/c-1");
  // Relative to the kubeconfig's directory, as kubectl reads it.
  EXPECT_EQ(config->ca_file, (dir_->path() / "certs/prod-ca.pem").string());
  EXPECT_EQ(config->proxy_url, "http://proxy.example:3128");
  EXPECT_EQ(config->client_certificate_pem, "CERT");
  EXPECT_EQ(config->client_key_pem, "KEY");
  EXPECT_EQ(config->token, "");
  EXPECT_EQ(config->default_namespace, "");
}

TEST_F(KubeConfigTest, ClientCertificateFilesAndTokenFile) {
  write("tokens/t", "file-token\n");
  auto config = load_kubeconfig(standard_config(), "prod-files");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->client_certificate_file, (dir_->path() / "certs/client.pem").string());
  EXPECT_EQ(config->client_key_file, "/abs/client.key");
  EXPECT_EQ(config->token, "");
  EXPECT_EQ(config->token_file, dir_->path() / "tokens/t");
  EXPECT_EQ(config->default_namespace, "0123");  // a number-like namespace stays text
}

TEST_F(KubeConfigTest, MissingTokenFileNamesTheField) {
  expect_error(
      load_kubeconfig(standard_config(), "prod-files"), ErrorCode::kInvalidArgument,
      "users[\"file-user\"].user.tokenFile: token file " + (dir_->path() / "tokens/t").string());
}

TEST_F(KubeConfigTest, InsecureSkipTlsVerify) {
  const fs::path path = write("insecure", R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://k:6443", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
)");
  auto config = load_kubeconfig(path, "");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_TRUE(config->insecure_skip_tls_verify);
}

TEST_F(KubeConfigTest, ContextWithoutUserIsAnonymous) {
  const fs::path path = write("anonymous", R"(
current-context: c
clusters: [{name: k, cluster: {server: "http://127.0.0.1:8080"}}]
contexts: [{name: c, context: {cluster: k}}]
)");
  auto config = load_kubeconfig(path, "");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->server, "http://127.0.0.1:8080");
  EXPECT_EQ(config->token, "");
}

TEST_F(KubeConfigTest, ErrorsNameTheFileAndTheField) {
  const std::string head = R"(
current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
)";
  auto with = [&](const std::string& name, const std::string& clusters, const std::string& users) {
    return load_kubeconfig(write(name, head + "clusters: " + clusters + "\nusers: " + users + "\n"),
                           "");
  };
  const std::string good_cluster = R"([{name: k, cluster: {server: "https://k"}}])";
  const std::string good_user = "[{name: u, user: {token: t}}]";

  expect_error(with("exec", good_cluster,
                    "[{name: u, user: {exec: {command: aws, apiVersion: "
                    "client.authentication.k8s.io/v1}}}]"),
               ErrorCode::kInvalidArgument, "users[\"u\"].user.exec is not supported");
  expect_error(with("provider", good_cluster, "[{name: u, user: {auth-provider: {name: gcp}}}]"),
               ErrorCode::kInvalidArgument, "users[\"u\"].user.auth-provider is not supported");
  expect_error(with("basic", good_cluster, "[{name: u, user: {username: a, password: b}}]"),
               ErrorCode::kInvalidArgument, "(basic authentication) is not supported");
  expect_error(
      with("badb64",
           R"([{name: k, cluster: {server: "https://k", certificate-authority-data: "%%%"}}])",
           good_user),
      ErrorCode::kInvalidArgument,
      "clusters[\"k\"].cluster.certificate-authority-data is not valid base64");
  expect_error(with("noserver", "[{name: k, cluster: {}}]", good_user), ErrorCode::kInvalidArgument,
               "clusters[\"k\"].cluster.server is not set");
  expect_error(with("ftp", R"([{name: k, cluster: {server: "ftp://k"}}])", good_user),
               ErrorCode::kInvalidArgument, "must be an http:// or https:// URL");
  expect_error(
      with(
          "twoca",
          R"([{name: k, cluster: {server: "https://k", certificate-authority: a, certificate-authority-data: Q0E=}}])",
          good_user),
      ErrorCode::kInvalidArgument, "sets both certificate-authority");
  expect_error(with("nokey", good_cluster, "[{name: u, user: {client-certificate-data: Q0E=}}]"),
               ErrorCode::kInvalidArgument, "has a client certificate but no client key");
  expect_error(with("nouser", good_cluster, "[{name: v, user: {token: t}}]"), ErrorCode::kNotFound,
               "user \"u\" is not in users");
  expect_error(
      with("badinsecure",
           R"([{name: k, cluster: {server: "https://k", insecure-skip-tls-verify: maybe}}])",
           good_user),
      ErrorCode::kInvalidArgument, "insecure-skip-tls-verify must be true or false");

  const fs::path path = write("fine", head + "clusters: " + good_cluster + "\nusers: " + good_user);
  expect_error(load_kubeconfig(path, "other"), ErrorCode::kNotFound,
               "kubeconfig " + path.string() + ": context \"other\" is not in contexts");
  expect_error(load_kubeconfig(write("nocurrent", "clusters: []\n"), ""),
               ErrorCode::kInvalidArgument, "current-context is not set");
  expect_error(load_kubeconfig(write("notyaml", "a: [b\n"), ""), ErrorCode::kInvalidArgument,
               "is not valid YAML: line");
  expect_error(load_kubeconfig(dir_->path() / "absent", ""), ErrorCode::kNotFound,
               "kubeconfig " + (dir_->path() / "absent").string() + " does not exist");
}

// An environment for discovery and in-cluster loading, instead of the process's own.
EnvironmentLookup environment(std::map<std::string, std::string> variables) {
  return [variables](std::string_view name) -> std::optional<std::string> {
    auto it = variables.find(std::string(name));
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

TEST_F(KubeConfigTest, InCluster) {
  const std::string account = "var/run/secrets/kubernetes.io/serviceaccount/";
  write(account + "token", "sa-token\n");
  write(account + "ca.crt", kCaText);
  write(account + "namespace", "pop-system\n");
  auto config = load_in_cluster_config(
      dir_->path(),
      environment({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->server, "https://10.0.0.1:443");
  EXPECT_EQ(config->token_file, dir_->path() / (account + "token"));
  EXPECT_EQ(config->ca_file, (dir_->path() / (account + "ca.crt")).string());
  EXPECT_EQ(config->default_namespace, "pop-system");
  EXPECT_EQ(config->origin, "in-cluster service account");

  auto ipv6 = load_in_cluster_config(
      dir_->path(),
      environment({{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "443"}}));
  ASSERT_TRUE(ipv6) << ipv6.error().message;
  EXPECT_EQ(ipv6->server, "https://[fd00::1]:443");
}

TEST_F(KubeConfigTest, InClusterErrors) {
  expect_error(load_in_cluster_config(dir_->path(), environment({})), ErrorCode::kNotFound,
               "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
  const auto env =
      environment({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}});
  expect_error(load_in_cluster_config(dir_->path(), env), ErrorCode::kNotFound,
               "service account token " + dir_->path().string());
  write("var/run/secrets/kubernetes.io/serviceaccount/token", "t");
  expect_error(load_in_cluster_config(dir_->path(), env), ErrorCode::kNotFound,
               "service account CA");
}

TEST_F(KubeConfigTest, DiscoveryOrder) {
  const fs::path standard = standard_config();
  const fs::path second = write("second", R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://second"}}]
contexts: [{name: c, context: {cluster: k}}]
)");
  write("home/.kube/config", R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://home"}}]
contexts: [{name: c, context: {cluster: k}}]
)");
  const std::string account = "var/run/secrets/kubernetes.io/serviceaccount/";
  write(account + "token", "sa-token");
  write(account + "ca.crt", kCaText);

  const std::map<std::string, std::string> everything = {
      {"KUBECONFIG", second.string() + ":" + standard.string()},
      {"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
      {"KUBERNETES_SERVICE_PORT", "443"},
      {"HOME", (dir_->path() / "home").string()}};
  auto server = [&](const fs::path& explicit_path, std::map<std::string, std::string> env) {
    auto config = discover_kube_config({.kubeconfig = explicit_path,
                                        .context = {},
                                        .in_cluster_root = dir_->path(),
                                        .getenv = environment(std::move(env))});
    return config ? config->server : "error: " + config.error().message;
  };
  EXPECT_EQ(server(standard, everything), "https://dev.example:6443");
  EXPECT_EQ(server({}, everything), "https://second");
  auto no_kubeconfig = everything;
  no_kubeconfig.erase("KUBECONFIG");
  EXPECT_EQ(server({}, no_kubeconfig), "https://10.0.0.1:443");
  auto home_only = no_kubeconfig;
  home_only.erase("KUBERNETES_SERVICE_HOST");
  EXPECT_EQ(server({}, home_only), "https://home");

  auto nothing = discover_kube_config({.kubeconfig = {},
                                       .context = {},
                                       .in_cluster_root = dir_->path(),
                                       .getenv = environment({{"HOME", "/nonexistent"}})});
  expect_error(nothing, ErrorCode::kNotFound,
               "no Kubernetes configuration found; looked at: --kubeconfig (not given); "
               "$KUBECONFIG (unset); in-cluster (KUBERNETES_SERVICE_HOST unset); "
               "/nonexistent/.kube/config (does not exist)");
}

}  // namespace
}  // namespace pop::kubernetes
