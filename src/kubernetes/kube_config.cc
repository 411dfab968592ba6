#include "kubernetes/kube_config.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

namespace pop::kubernetes {
namespace {

namespace fs = std::filesystem;

constexpr char kServiceAccountDir[] = "var/run/secrets/kubernetes.io/serviceaccount";

std::string trimmed(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

Result<std::string> read_file(const fs::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kNotFound,
                std::string(what) + " " + path.string() + " does not exist or cannot be read");
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Standard base64 as kubeconfig *-data fields hold it (padding, maybe line breaks).
std::optional<std::string> base64_decode(std::string_view text) {
  std::unique_ptr<EVP_ENCODE_CTX, decltype(&EVP_ENCODE_CTX_free)> context(EVP_ENCODE_CTX_new(),
                                                                          &EVP_ENCODE_CTX_free);
  if (!context || text.size() > (std::size_t{1} << 30)) return std::nullopt;
  std::string out(text.size() / 4 * 3 + 4, '\0');
  int written = 0;
  int last = 0;
  EVP_DecodeInit(context.get());
  if (EVP_DecodeUpdate(context.get(), reinterpret_cast<unsigned char*>(out.data()), &written,
                       reinterpret_cast<const unsigned char*>(text.data()),
                       static_cast<int>(text.size())) < 0 ||
      EVP_DecodeFinal(context.get(), reinterpret_cast<unsigned char*>(out.data()) + written,
                      &last) != 1) {
    return std::nullopt;
  }
  out.resize(static_cast<std::size_t>(written + last));
  return out;
}

// A reader of one kubeconfig document whose errors all name the file and the field.
class KubeconfigReader {
 public:
  KubeconfigReader(fs::path path, YAML::Node root) : path_(std::move(path)), root_(root) {}

  Result<KubeConfig> read(std::string_view wanted_context) {
    std::string context_name(wanted_context);
    if (context_name.empty()) {
      auto current = string_at(root_, "current-context", "current-context");
      if (!current) return fail(std::move(current).error());
      context_name = *current;
      if (context_name.empty()) {
        return error(ErrorCode::kInvalidArgument,
                     "current-context is not set; name a context (--context)");
      }
    }
    auto context = named_entry("contexts", "context", context_name);
    if (!context) return fail(std::move(context).error());
    const std::string context_field = "contexts[\"" + context_name + "\"].context";

    KubeConfig config;
    config.origin = "kubeconfig " + path_.string() + ", context " + context_name;
    auto cluster_name = string_at(context->node, "cluster", context_field + ".cluster");
    auto user_name = string_at(context->node, "user", context_field + ".user");
    auto name_space = string_at(context->node, "namespace", context_field + ".namespace");
    if (!cluster_name) return fail(std::move(cluster_name).error());
    if (!user_name) return fail(std::move(user_name).error());
    if (!name_space) return fail(std::move(name_space).error());
    config.default_namespace = *name_space;
    if (cluster_name->empty()) {
      return error(ErrorCode::kInvalidArgument, context_field + ".cluster is not set");
    }
    if (auto read = read_cluster(*cluster_name, config); !read) {
      return fail(std::move(read).error());
    }
    // A context without a user is legal: the cluster may admit anonymous requests.
    if (!user_name->empty()) {
      if (auto read = read_user(*user_name, config); !read) return fail(std::move(read).error());
    }
    return config;
  }

 private:
  struct Entry {
    YAML::Node node;  // the entry's inner map ("cluster", "user" or "context")
  };

  tl::unexpected<Error> error(ErrorCode code, const std::string& text) const {
    return fail(code, "kubeconfig " + path_.string() + ": " + text);
  }

  // The scalar `key` of `map` as text; empty when absent.
  Result<std::string> string_at(const YAML::Node& map, const char* key,
                                const std::string& field) const {
    const YAML::Node value = map[key];
    if (!value || value.IsNull()) return std::string();
    if (!value.IsScalar()) return error(ErrorCode::kInvalidArgument, field + " must be a string");
    return value.Scalar();
  }

  Result<bool> bool_at(const YAML::Node& map, const char* key, const std::string& field) const {
    auto text = string_at(map, key, field);
    if (!text) return fail(std::move(text).error());
    if (text->empty() || *text == "false") return false;
    if (*text == "true") return true;
    return error(ErrorCode::kInvalidArgument, field + " must be true or false, not " + *text);
  }

  // The element of the list `list` ("clusters") whose name is `name`, by its inner `key`.
  Result<Entry> named_entry(const char* list, const char* key, const std::string& name) const {
    const YAML::Node entries = root_[list];
    if (entries && !entries.IsNull() && !entries.IsSequence()) {
      return error(ErrorCode::kInvalidArgument, std::string(list) + " must be a list");
    }
    if (entries) {
      for (const YAML::Node& entry : entries) {
        if (!entry.IsMap() || !entry["name"] || !entry["name"].IsScalar() ||
            entry["name"].Scalar() != name) {
          continue;
        }
        const YAML::Node inner = entry[key];
        if (!inner || !inner.IsMap()) {
          return error(ErrorCode::kInvalidArgument, std::string(list) + "[\"" + name + "\"]." +
                                                        key + " is missing or not a map");
        }
        return Entry{inner};
      }
    }
    return error(ErrorCode::kNotFound, std::string(key) + " \"" + name + "\" is not in " + list);
  }

  // A file path from the document, relative to the document's directory.
  std::string resolve(const std::string& path) const {
    if (path.empty() || fs::path(path).is_absolute()) return path;
    return (path_.parent_path() / path).lexically_normal().string();
  }

  // A "*-data" field: base64 PEM.
  Result<std::string> data_at(const YAML::Node& map, const char* key,
                              const std::string& field) const {
    auto text = string_at(map, key, field);
    if (!text || text->empty()) return text;
    auto decoded = base64_decode(*text);
    if (!decoded) return error(ErrorCode::kInvalidArgument, field + " is not valid base64");
    return *decoded;
  }

  Result<void> read_cluster(const std::string& name, KubeConfig& config) const {
    auto cluster = named_entry("clusters", "cluster", name);
    if (!cluster) return fail(std::move(cluster).error());
    const std::string field = "clusters[\"" + name + "\"].cluster";
    const YAML::Node& node = cluster->node;
    auto server = string_at(node, "server", field + ".server");
    auto ca_file = string_at(node, "certificate-authority", field + ".certificate-authority");
    auto ca_pem =
        data_at(node, "certificate-authority-data", field + ".certificate-authority-data");
    auto insecure = bool_at(node, "insecure-skip-tls-verify", field + ".insecure-skip-tls-verify");
    auto proxy = string_at(node, "proxy-url", field + ".proxy-url");
    for (const auto* failed : {&server, &ca_file, &ca_pem, &proxy}) {
      if (!*failed) return fail(failed->error());
    }
    if (!insecure) return fail(std::move(insecure).error());
    if (server->empty()) return error(ErrorCode::kInvalidArgument, field + ".server is not set");
    if (!server->starts_with("https://") && !server->starts_with("http://")) {
      return error(ErrorCode::kInvalidArgument,
                   field + ".server must be an http:// or https:// URL, not " + *server);
    }
    if (!ca_file->empty() && !ca_pem->empty()) {
      return error(ErrorCode::kInvalidArgument, field +
                                                    " sets both certificate-authority and "
                                                    "certificate-authority-data");
    }
    config.server = *server;
    config.ca_file = resolve(*ca_file);
    config.ca_pem = *ca_pem;
    config.insecure_skip_tls_verify = *insecure;
    if (!proxy->empty()) config.proxy_url = *proxy;
    return {};
  }

  Result<void> read_user(const std::string& name, KubeConfig& config) const {
    auto user = named_entry("users", "user", name);
    if (!user) return fail(std::move(user).error());
    const std::string field = "users[\"" + name + "\"].user";
    const YAML::Node& node = user->node;
    for (const char* plugin : {"exec", "auth-provider"}) {
      if (node[plugin]) {
        return error(ErrorCode::kInvalidArgument,
                     field + "." + plugin +
                         " is not supported: POP cannot run credential plugins; use a token, "
                         "a token file or a client certificate (e.g. a service account token)");
      }
    }
    if (node["username"] || node["password"]) {
      return error(ErrorCode::kInvalidArgument,
                   field + ".username/password (basic authentication) is not supported");
    }
    auto token = string_at(node, "token", field + ".token");
    auto token_file = string_at(node, "tokenFile", field + ".tokenFile");
    auto certificate_file = string_at(node, "client-certificate", field + ".client-certificate");
    auto certificate_pem =
        data_at(node, "client-certificate-data", field + ".client-certificate-data");
    auto key_file = string_at(node, "client-key", field + ".client-key");
    auto key_pem = data_at(node, "client-key-data", field + ".client-key-data");
    for (const auto* failed :
         {&token, &token_file, &certificate_file, &certificate_pem, &key_file, &key_pem}) {
      if (!*failed) return fail(failed->error());
    }
    if (!certificate_file->empty() && !certificate_pem->empty()) {
      return error(ErrorCode::kInvalidArgument,
                   field + " sets both client-certificate and client-certificate-data");
    }
    if (!key_file->empty() && !key_pem->empty()) {
      return error(ErrorCode::kInvalidArgument,
                   field + " sets both client-key and client-key-data");
    }
    const bool has_certificate = !certificate_file->empty() || !certificate_pem->empty();
    const bool has_key = !key_file->empty() || !key_pem->empty();
    if (has_certificate != has_key) {
      return error(ErrorCode::kInvalidArgument,
                   field + (has_certificate ? " has a client certificate but no client key"
                                            : " has a client key but no client certificate"));
    }
    config.token = trimmed(*token);
    // An inline token wins over the file, as in client-go.
    if (config.token.empty() && !token_file->empty()) {
      config.token_file = resolve(*token_file);
      auto text = read_file(config.token_file, "token file");
      if (!text) {
        return error(ErrorCode::kInvalidArgument, field + ".tokenFile: " + text.error().message);
      }
    }
    config.client_certificate_file = resolve(*certificate_file);
    config.client_certificate_pem = *certificate_pem;
    config.client_key_file = resolve(*key_file);
    config.client_key_pem = *key_pem;
    return {};
  }

  fs::path path_;
  YAML::Node root_;
};

std::optional<std::string> process_getenv(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

}  // namespace

Result<KubeConfig> load_kubeconfig(const fs::path& path, std::string_view context) {
  auto text = read_file(path, "kubeconfig");
  if (!text) return fail(std::move(text).error());
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& problem) {
    return fail(ErrorCode::kInvalidArgument,
                "kubeconfig " + path.string() + " is not valid YAML: line " +
                    std::to_string(problem.mark.line + 1) + ": " + problem.msg);
  }
  if (!root.IsMap()) {
    return fail(ErrorCode::kInvalidArgument,
                "kubeconfig " + path.string() + " is not a YAML map (kind: Config)");
  }
  try {
    return KubeconfigReader(path, root).read(context);
  } catch (const YAML::Exception& problem) {
    return fail(ErrorCode::kInvalidArgument, "kubeconfig " + path.string() + ": " + problem.what());
  }
}

Result<KubeConfig> load_in_cluster_config(const fs::path& root, const EnvironmentLookup& getenv) {
  const auto host = getenv("KUBERNETES_SERVICE_HOST");
  const auto port = getenv("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    return fail(ErrorCode::kNotFound,
                "not running in a Kubernetes cluster: KUBERNETES_SERVICE_HOST and "
                "KUBERNETES_SERVICE_PORT are not set");
  }
  const fs::path dir = root / kServiceAccountDir;
  KubeConfig config;
  config.origin = "in-cluster service account";
  // An IPv6 service address needs brackets in a URL.
  const bool ipv6 = host->find(':') != std::string::npos;
  config.server = "https://" + (ipv6 ? "[" + *host + "]" : *host) + ":" + *port;
  config.token_file = dir / "token";
  auto token = read_file(config.token_file, "service account token");
  if (!token) return fail(std::move(token).error());
  if (trimmed(*token).empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "service account token " + config.token_file.string() + " is empty");
  }
  const fs::path ca = dir / "ca.crt";
  if (auto readable = read_file(ca, "service account CA"); !readable) {
    return fail(std::move(readable).error());
  }
  config.ca_file = ca.string();
  if (auto name_space = read_file(dir / "namespace", "namespace")) {
    config.default_namespace = trimmed(*name_space);
  }
  return config;
}

Result<KubeConfig> discover_kube_config(const KubeConfigDiscovery& discovery) {
  const EnvironmentLookup getenv = discovery.getenv ? discovery.getenv : process_getenv;
  if (!discovery.kubeconfig.empty())
    return load_kubeconfig(discovery.kubeconfig, discovery.context);
  std::vector<std::string> looked_at = {"--kubeconfig (not given)"};
  if (const auto list = getenv("KUBECONFIG"); list && !list->empty()) {
    // kubectl merges every file of the list; POP takes the first, which is where
    // current-context usually lives.
    const std::string first = list->substr(0, list->find(':'));
    if (!first.empty()) return load_kubeconfig(first, discovery.context);
  }
  looked_at.push_back("$KUBECONFIG (unset)");
  if (const auto host = getenv("KUBERNETES_SERVICE_HOST"); host && !host->empty()) {
    return load_in_cluster_config(discovery.in_cluster_root, getenv);
  }
  looked_at.push_back("in-cluster (KUBERNETES_SERVICE_HOST unset)");
  if (const auto home = getenv("HOME"); home && !home->empty()) {
    const fs::path path = fs::path(*home) / ".kube" / "config";
    std::error_code error;
    if (fs::exists(path, error)) return load_kubeconfig(path, discovery.context);
    looked_at.push_back(path.string() + " (does not exist)");
  } else {
    looked_at.push_back("~/.kube/config ($HOME unset)");
  }
  std::string message = "no Kubernetes configuration found; looked at:";
  for (const auto& place : looked_at) message += " " + place + ";";
  message.pop_back();
  return fail(ErrorCode::kNotFound, message);
}

}  // namespace pop::kubernetes
