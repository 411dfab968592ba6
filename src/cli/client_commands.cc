// The client side of the CLI: `pop submit`, `pop status`, `pop watch`, `pop cancel`, talking to a
// server over HTTP(S). Exit status: 0 success (for watch: the agenda succeeded), 1 the agenda
// failed or was cancelled, 2 bad input or a refused request, 3 the server is unreachable.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "cli/error_output.h"
#include "cli/progress_display.h"
#include "engine/progress.h"
#include "http_client/client.h"
#include "http_client/json_request.h"
#include "http_client/url.h"

namespace pop::cli {
namespace {

using Json = nlohmann::json;

constexpr int kExitUnreachable = 3;

struct ClientSettings {
  std::string server = "http://127.0.0.1:8080";
  std::string token;
  std::string ca_file;
  std::string output = "text";
};

void add_client_options(CLI::App* command, ClientSettings& settings) {
  command->add_option("--server", settings.server, "Base URL of the POP server")
      ->capture_default_str();
  command->add_option("--token", settings.token, "Bearer token");
  command
      ->add_option("--ca", settings.ca_file,
                   "PEM file of the CA that signs the server's certificate")
      ->check(CLI::ExistingFile);
  command->add_option("--output,-o", settings.output, "text or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
}

Result<http_client::Client> connect(const ClientSettings& settings) {
  http_client::ClientOptions options;
  options.base_url = settings.server;
  options.bearer_token = settings.token;
  options.ca_file = settings.ca_file;
  return http_client::Client::create(options);
}

int report_error(const char* command, const Error& error) {
  return print_error(command, "", error,
                     error.code == ErrorCode::kUnavailable ? kExitUnreachable : 2);
}

void print_json(const Json& document) {
  std::cout << document.dump(2, ' ', false, Json::error_handler_t::replace) << std::endl;
}

Result<std::string> read_all(const std::string& path) {
  std::stringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(ErrorCode::kInvalidArgument, "cannot read " + path);
    text << in.rdbuf();
  }
  return text.str();
}

int submit(const ClientSettings& settings, const std::string& path, const std::string& key) {
  auto client = connect(settings);
  if (!client) return report_error("submit", client.error());
  auto body = read_all(path);
  if (!body) return report_error("submit", body.error());
  http_client::Request request;
  request.method = "POST";
  request.target = "/v1/agendas";
  request.body = std::move(*body);
  request.headers["Content-Type"] = "application/json";
  if (!key.empty()) request.headers["Idempotency-Key"] = key;
  auto answer = http_client::json_result(client->send(request));
  if (!answer) return report_error("submit", answer.error());
  if (settings.output == "json") {
    print_json(*answer);
  } else {
    std::printf("%s\n", answer->value("id", "").c_str());
  }
  return 0;
}

Result<AgendaProgress> fetch_progress(http_client::Client& client, const std::string& id,
                                      Json& raw) {
  auto answer = http_client::request_json(
      client, "GET", "/v1/agendas/" + http_client::percent_encode(id) + "/progress");
  if (!answer) return tl::unexpected(answer.error());
  raw = *answer;
  return agenda_progress_from_json(*answer);
}

int status(const ClientSettings& settings, const std::string& id) {
  auto client = connect(settings);
  if (!client) return report_error("status", client.error());
  Json raw;
  auto progress = fetch_progress(*client, id, raw);
  if (!progress) return report_error("status", progress.error());
  if (settings.output == "json") {
    print_json(raw);
  } else {
    ProgressDisplay(stdout, false).finish(*progress);
  }
  return 0;
}

int cancel(const ClientSettings& settings, const std::string& id) {
  auto client = connect(settings);
  if (!client) return report_error("cancel", client.error());
  auto answer = http_client::request_json(
      *client, "POST", "/v1/agendas/" + http_client::percent_encode(id) + "/cancel");
  if (!answer) return report_error("cancel", answer.error());
  if (settings.output == "json") {
    print_json(*answer);
  } else {
    std::printf("agenda %s cancelled\n", id.c_str());
  }
  return 0;
}

int outcome_status(const AgendaProgress& progress) {
  return progress.outcome == AgendaOutcome::kSucceeded ? 0 : 1;
}

// Follows the progress until the agenda completes. Polls twice a second: the server's
// progress is only as fresh as the puller's reports anyway.
int watch(const ClientSettings& settings, const std::string& id) {
  auto client = connect(settings);
  if (!client) return report_error("watch", client.error());
  ProgressDisplay display(stdout, settings.output == "text" && isatty(STDOUT_FILENO) == 1);
  for (;;) {
    Json raw;
    auto progress = fetch_progress(*client, id, raw);
    if (!progress) return report_error("watch", progress.error());
    if (progress->state == ProcessingState::kComplete) {
      if (settings.output == "json") {
        print_json(raw);
      } else {
        display.finish(*progress);
      }
      return outcome_status(*progress);
    }
    if (settings.output == "text") {
      for (std::size_t i = 0; i < progress->operations.size(); ++i) display.on_change(*progress, i);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace

std::vector<Command> add_client_commands(CLI::App& app) {
  auto settings = std::make_shared<ClientSettings>();
  auto path = std::make_shared<std::string>();
  auto key = std::make_shared<std::string>();
  auto id = std::make_shared<std::string>();

  CLI::App* submit_command =
      app.add_subcommand("submit", "Submit an agenda to a server; prints its id");
  submit_command->add_option("agenda", *path, "Agenda JSON file, or - for standard input")
      ->required();
  submit_command->add_option("--idempotency-key", *key,
                             "Submitting again with the same key creates nothing new");
  add_client_options(submit_command, *settings);

  CLI::App* status_command = app.add_subcommand("status", "Show an agenda's progress");
  status_command->add_option("id", *id, "Agenda id")->required();
  add_client_options(status_command, *settings);

  CLI::App* watch_command = app.add_subcommand("watch", "Follow an agenda until it ends");
  watch_command->add_option("id", *id, "Agenda id")->required();
  watch_command->footer(
      "Exit status: 0 succeeded, 1 failed or cancelled, 2 refused, 3 server unreachable.");
  add_client_options(watch_command, *settings);

  CLI::App* cancel_command = app.add_subcommand(
      "cancel", "Cancel an agenda: it leaves its queue, or its handlers are stopped");
  cancel_command->add_option("id", *id, "Agenda id")->required();
  add_client_options(cancel_command, *settings);

  return {{submit_command, [=] { return submit(*settings, *path, *key); }},
          {cancel_command, [=] { return cancel(*settings, *id); }},
          {status_command, [=] { return status(*settings, *id); }},
          {watch_command, [=] { return watch(*settings, *id); }}};
}

}  // namespace pop::cli
