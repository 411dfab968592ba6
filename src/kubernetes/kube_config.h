// Where the Kubernetes API server is and how to authenticate to it: from a kubeconfig file
// (what kubectl reads) or from inside a cluster (the Pod's service account), discovered in
// kubectl's order. Exec and auth-provider plugins are refused: POP runs unattended and
// cannot run a login helper.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace pop::kubernetes {

struct KubeConfig {
  std::string server{};  // "https://host:port", possibly with a path prefix
  // Trust: the CA as a file or PEM text (at most one); neither means the system store.
  std::string ca_file{};
  std::string ca_pem{};
  bool insecure_skip_tls_verify = false;
  std::optional<std::string> proxy_url{};  // the cluster's proxy-url, when set
  // Credentials: a bearer token (inline, or a file re-read as it rotates), and/or a client
  // certificate with its key, each a file or PEM text.
  std::string token{};
  std::filesystem::path token_file{};
  std::string client_certificate_file{};
  std::string client_certificate_pem{};
  std::string client_key_file{};
  std::string client_key_pem{};
  // The context's namespace, or the service account's; empty when the configuration names
  // none ("default" is then the usual choice).
  std::string default_namespace{};
  // Where this came from, for messages: "kubeconfig /home/u/.kube/config, context kind-pop"
  // or "in-cluster service account".
  std::string origin{};
};

// Reads a kubeconfig file and resolves `context` (empty: its current-context). Relative file
// paths in it are taken from the file's directory, as kubectl does. Errors (kInvalidArgument,
// kNotFound for a missing file or context) name the file and the field.
Result<KubeConfig> load_kubeconfig(const std::filesystem::path& path, std::string_view context);

// The configuration of a Pod's service account: token and ca.crt (and namespace when
// present) under <root>/var/run/secrets/kubernetes.io/serviceaccount, server from
// KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT. kNotFound when not in a cluster.
using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view name)>;
Result<KubeConfig> load_in_cluster_config(const std::filesystem::path& root,
                                          const EnvironmentLookup& getenv);

struct KubeConfigDiscovery {
  std::filesystem::path kubeconfig{};  // --kubeconfig; empty: discover
  std::string context;                 // --context; empty: the file's current-context
  std::filesystem::path in_cluster_root = "/";
  EnvironmentLookup getenv{};  // empty: the process environment
};

// The first of: the explicit kubeconfig; the first file named by $KUBECONFIG; the in-cluster
// configuration when KUBERNETES_SERVICE_HOST is set; $HOME/.kube/config. kNotFound naming
// every place looked at when there is none.
Result<KubeConfig> discover_kube_config(const KubeConfigDiscovery& discovery);

}  // namespace pop::kubernetes
