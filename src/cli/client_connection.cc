#include "cli/client_connection.h"

#include <iostream>

#include "auth/admin_token_file.h"
#include "cli/error_output.h"
#include "util/environment.h"

namespace pop::cli {
namespace {

// The host of an http(s) URL, without brackets; empty when the URL has none.
std::string url_host(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  std::string rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') return rest.substr(1, rest.find(']') - 1);
  return rest.substr(0, rest.find(':'));
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

}  // namespace

void add_client_options(CLI::App* command, ClientSettings& settings) {
  command->add_option("--server", settings.server, "Base URL of the POP server")
      ->capture_default_str();
  command->add_option("--token", settings.token,
                      "Bearer token (default: $POP_TOKEN, or a local server's admin.token)");
  command->add_option("--data", settings.data,
                      "Data directory of a server on this machine, whose admin.token is used "
                      "when no token is given (default: $POP_DATA or ./pop-data)");
  command
      ->add_option("--ca", settings.ca_file,
                   "PEM file of the CA that signs the server's certificate")
      ->check(CLI::ExistingFile);
  command->add_option("--output,-o", settings.output, "text or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
}

std::string client_token(const ClientSettings& settings) {
  if (!settings.token.empty()) return settings.token;
  if (std::string token = environment_variable("POP_TOKEN"); !token.empty()) return token;
  if (!is_loopback(url_host(settings.server))) return "";
  std::string data = settings.data;
  if (data.empty()) data = environment_variable("POP_DATA");
  if (data.empty()) data = "./pop-data";
  return auth::read_admin_token_file(std::filesystem::path(data) / auth::kAdminTokenFileName)
      .value_or("");
}

Result<http_client::Client> connect(const ClientSettings& settings) {
  http_client::ClientOptions options;
  options.base_url = settings.server;
  options.bearer_token = client_token(settings);
  options.ca_file = settings.ca_file;
  return http_client::Client::create(options);
}

int report_error(const char* command, const Error& error) {
  return print_error(command, "", error,
                     error.code == ErrorCode::kUnavailable ? kExitUnreachable : 2);
}

void print_json(const nlohmann::json& document) {
  std::cout << document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

}  // namespace pop::cli
