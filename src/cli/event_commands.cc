// `pop events`: prints the server's event stream (GET /v1/events), one line per event, until
// interrupted; reconnects with the last event id after a dropped connection.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/event_follower.h"
#include "http_client/url.h"

namespace pop::cli {
using Json = nlohmann::json;

namespace {

struct EventFilters {
  std::vector<std::string> agendas;
  std::vector<std::string> customers;
  std::vector<std::string> pools;
  std::vector<std::string> insights;
  std::vector<std::string> types;
};

std::string events_target(const EventFilters& filters) {
  std::string target = "/v1/events";
  char separator = '?';
  for (const auto& [name, values] :
       {std::pair{"agenda", &filters.agendas}, std::pair{"customer", &filters.customers},
        std::pair{"pool", &filters.pools}, std::pair{"insight", &filters.insights},
        std::pair{"type", &filters.types}}) {
    for (const std::string& value : *values) {
      target += separator + std::string(name) + "=" + http_client::percent_encode(value);
      separator = '&';
    }
  }
  return target;
}

// "op: running -> succeeded (attempt 1)" for an operation, "key=value ..." otherwise.
std::string details(const std::string& type, const Json& data) {
  if (type == "operation.state") {
    return data.value("operation", "") + ": " +
           (data.contains("previous") ? data.value("previous", "") + " -> " : "") +
           data.value("state", "") + " (attempt " + std::to_string(data.value("attempt", 0)) + ")";
  }
  std::string text;
  for (const auto& [key, value] : data.items())
    text += (text.empty() ? "" : " ") + key + "=" +
            (value.is_string() ? value.get<std::string>() : value.dump());
  return text;
}

bool print_event(const ClientSettings& settings, const http_client::SseEvent& event) {
  const Json data = Json::parse(event.data, nullptr, false);
  if (settings.output == "json") {
    Json line = data.is_object() ? data : Json::object();
    line["id"] = event.id;
    if (event.type == "reset") line["type"] = "reset";
    std::printf("%s\n", line.dump().c_str());
  } else if (event.type == "reset") {
    std::printf("--- reset: %s\n", data.is_object() ? data.value("reason", "").c_str() : "");
  } else if (data.is_object()) {
    std::printf("%s  %-17s %s  %s\n", data.value("time", "").c_str(), event.type.c_str(),
                data.value("agendaId", "").c_str(),
                details(event.type, data.value("data", Json::object())).c_str());
  }
  std::fflush(stdout);
  return true;
}

}  // namespace

Command add_events_command(CLI::App& app) {
  auto settings = std::make_shared<ClientSettings>();
  auto filters = std::make_shared<EventFilters>();
  CLI::App* command = app.add_subcommand(
      "events", "Print the server's live events (agenda and operation changes) as they happen");
  command->add_option("--agenda", filters->agendas, "Only these agendas' events")->delimiter(',');
  command->add_option("--customer", filters->customers, "Only these customers' agendas")
      ->delimiter(',');
  command->add_option("--pool", filters->pools, "Only agendas of these resource pools")
      ->delimiter(',');
  command->add_option("--insight", filters->insights, "Only agendas of these insights")
      ->delimiter(',');
  command->add_option("--type", filters->types, "Only these event types (agenda.completed, ...)")
      ->delimiter(',');
  command->footer(
      "Runs until interrupted. A reset line means events were missed (the server restarted, or "
      "the connection was away too long): list the agendas again.");
  add_client_options(command, *settings);
  return {command, [=] {
            auto followed = follow_events(*settings, events_target(*filters),
                                          {[] { return true; },
                                           [&](const http_client::SseEvent& event) {
                                             return print_event(*settings, event);
                                           }});
            return followed ? 0 : report_error("events", followed.error());
          }};
}

}  // namespace pop::cli
