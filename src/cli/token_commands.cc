// `pop token create|list|revoke`: API tokens of a server (docs/server.md, "Authentication").
#include <cstdio>
#include <memory>

#include "cli/client_connection.h"
#include "cli/commands.h"
#include "http_client/json_request.h"
#include "http_client/url.h"

namespace pop::cli {
using Json = nlohmann::json;

namespace {

struct CreateSettings {
  std::string role = "member";
  std::vector<std::string> customers;
  std::string pool;
  std::string description;
  long long expires_in_seconds = 0;
};

int create(const ClientSettings& settings, const CreateSettings& token) {
  auto client = connect(settings);
  if (!client) return report_error("token create", client.error());
  Json body = {{"role", token.role}};
  if (!token.customers.empty()) body["customerIds"] = token.customers;
  if (!token.pool.empty()) body["resourcePoolId"] = token.pool;
  if (!token.description.empty()) body["description"] = token.description;
  if (token.expires_in_seconds > 0) body["expiresInSeconds"] = token.expires_in_seconds;
  auto answer = http_client::request_json(*client, "POST", "/v1/tokens", body);
  if (!answer) return report_error("token create", answer.error());
  if (settings.output == "json") {
    print_json(*answer);
    return 0;
  }
  // The token alone on standard output, so that `$(pop token create ...)` captures it.
  std::fprintf(stderr, "token %s (%s), expires %s; shown once, keep it now:\n",
               answer->value("id", "").c_str(), answer->value("role", "").c_str(),
               answer->value("expiresAt", Json("never")).is_null()
                   ? "never"
                   : answer->value("expiresAt", "").c_str());
  std::printf("%s\n", answer->value("token", "").c_str());
  return 0;
}

std::string joined(const Json& values) {
  std::string text;
  for (const Json& value : values) text += (text.empty() ? "" : ",") + value.get<std::string>();
  return text;
}

int list(const ClientSettings& settings) {
  auto client = connect(settings);
  if (!client) return report_error("token list", client.error());
  Json items = Json::array();
  std::string cursor;
  do {
    std::string target = "/v1/tokens?limit=1000";
    if (!cursor.empty()) target += "&cursor=" + http_client::percent_encode(cursor);
    auto page = http_client::request_json(*client, "GET", target);
    if (!page) return report_error("token list", page.error());
    for (const Json& item : page->value("items", Json::array())) items.push_back(item);
    cursor = page->value("nextCursor", "");
  } while (!cursor.empty());
  if (settings.output == "json") {
    print_json(items);
    return 0;
  }
  std::printf("%-16s  %-7s  %-24s  %-24s  %s\n", "ID", "ROLE", "SCOPE", "EXPIRES", "STATE");
  for (const Json& token : items) {
    const std::string role = token.value("role", "");
    const std::string scope = role == "puller"   ? "pool " + token.value("resourcePoolId", "")
                              : role == "member" ? joined(token.value("customerIds", Json::array()))
                                                 : "all";
    const Json& expires = token.value("expiresAt", Json());
    std::printf("%-16s  %-7s  %-24s  %-24s  %s\n", token.value("id", "").c_str(), role.c_str(),
                scope.c_str(), expires.is_null() ? "never" : expires.get<std::string>().c_str(),
                token.value("revokedAt", Json()).is_null() ? "active" : "revoked");
  }
  return 0;
}

int revoke(const ClientSettings& settings, const std::string& id) {
  auto client = connect(settings);
  if (!client) return report_error("token revoke", client.error());
  auto answer =
      http_client::request_json(*client, "DELETE", "/v1/tokens/" + http_client::percent_encode(id));
  if (!answer) return report_error("token revoke", answer.error());
  if (settings.output == "text") std::printf("revoked %s\n", id.c_str());
  return 0;
}

}  // namespace

std::vector<Command> add_token_commands(CLI::App& app) {
  auto settings = std::make_shared<ClientSettings>();
  CLI::App* token = app.add_subcommand("token", "Manage the API tokens of a server");
  token->require_subcommand(1);

  auto create_settings = std::make_shared<CreateSettings>();
  CLI::App* create_command =
      token->add_subcommand("create", "Issue an API token; prints it (it is shown only once)");
  create_command->add_option("--role", create_settings->role, "member, puller or admin")
      ->capture_default_str()
      ->check(CLI::IsMember({"member", "puller", "admin"}));
  create_command->add_option("--customer", create_settings->customers,
                             "Customer account of a member token, repeatable");
  create_command->add_option("--pool", create_settings->pool, "Resource pool of a puller token");
  create_command->add_option("--description", create_settings->description, "What it is for");
  create_command
      ->add_option("--expires-in", create_settings->expires_in_seconds,
                   "Seconds until it expires (default: the server's, 90 days)")
      ->check(CLI::Range(1LL, 316224000LL));
  add_client_options(create_command, *settings);

  CLI::App* list_command = token->add_subcommand("list", "List the tokens you may manage");
  add_client_options(list_command, *settings);

  auto id = std::make_shared<std::string>();
  CLI::App* revoke_command = token->add_subcommand("revoke", "Revoke a token at once");
  revoke_command->add_option("id", *id, "Token id (the part after pop_)")->required();
  add_client_options(revoke_command, *settings);

  return {{create_command, [=] { return create(*settings, *create_settings); }},
          {list_command, [=] { return list(*settings); }},
          {revoke_command, [=] { return revoke(*settings, *id); }}};
}

}  // namespace pop::cli
