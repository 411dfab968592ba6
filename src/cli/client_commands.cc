// The client side of the CLI: `pop submit`, `pop status`, `pop list`, `pop watch`,
// `pop cancel`, `pop rerun`, `pop delete`, `pop logs`, talking to a server over HTTP(S). Exit
// status: 0 success (for watch: the agenda succeeded), 1 the agenda failed or was cancelled, 2 bad
// input or a refused request, 3 the server is unreachable.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "agenda/agenda.h"
#include "cli/client_connection.h"
#include "cli/commands.h"
#include "cli/error_output.h"
#include "cli/event_follower.h"
#include "cli/progress_display.h"
#include "http_client/client.h"
#include "http_client/error_mapping.h"
#include "http_client/json_request.h"
#include "http_client/url.h"
#include "model/agenda_progress.h"

namespace pop::cli {
using Json = nlohmann::json;

namespace {

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
  if (!answer) return fail(std::move(answer).error());
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

struct ListSettings {
  std::string link_id;
  std::string state;
  std::string customer;
  std::size_t limit = 50;
  bool all = false;
};

std::string list_target(const ListSettings& list, const std::string& cursor) {
  std::string target = "/v1/agendas?limit=" + std::to_string(list.limit);
  for (const auto& [name, value] :
       {std::pair{"linkId", &list.link_id}, std::pair{"state", &list.state},
        std::pair{"customer", &list.customer}, std::pair{"cursor", &cursor}}) {
    if (!value->empty())
      target += std::string("&") + name + "=" + http_client::percent_encode(*value);
  }
  return target;
}

int list(const ClientSettings& settings, const ListSettings& list) {
  auto client = connect(settings);
  if (!client) return report_error("list", client.error());
  if (settings.output == "text")
    std::printf("%-36s  %-9s  %-10s  %5s  %-20s  %s\n", "ID", "STATE", "MESSAGE", "DONE", "INSIGHT",
                "ADDED");
  std::string cursor;
  Json all = Json::array();
  do {
    auto page = http_client::request_json(*client, "GET", list_target(list, cursor));
    if (!page) return report_error("list", page.error());
    for (const auto& item : (*page)["items"]) {
      if (settings.output == "json") {
        all.push_back(item);
        continue;
      }
      std::printf("%-36s  %-9s  %-10s  %4.0f%%  %-20s  %s\n", item.value("id", "").c_str(),
                  item.value("processingState", "").c_str(),
                  item.value("processingStateMessage", "").c_str(),
                  item.value("percentComplete", 0.0), item.value("insightId", "").c_str(),
                  item.value("addedTime", "").c_str());
    }
    cursor = page->value("nextCursor", "");
  } while (list.all && !cursor.empty());
  if (settings.output == "json") print_json(all);
  if (!cursor.empty() && settings.output == "text")
    std::fprintf(stderr, "(more: --all lists every page)\n");
  return 0;
}

struct RerunSettings {
  bool continue_mode = false;
  std::string operations;
  bool skip_execution = false;
};

int rerun(const ClientSettings& settings, const std::string& id, const RerunSettings& rerun) {
  auto client = connect(settings);
  if (!client) return report_error("rerun", client.error());
  Json body = Json::object();
  if (rerun.continue_mode) body["continue"] = true;
  if (!rerun.operations.empty()) body["operationsToReset"] = rerun.operations;
  if (rerun.skip_execution) body["skipExecution"] = true;
  auto answer = http_client::request_json(
      *client, "POST", "/v1/agendas/" + http_client::percent_encode(id) + "/rerun", body);
  if (!answer) return report_error("rerun", answer.error());
  if (settings.output == "json") {
    print_json(*answer);
  } else {
    std::printf("agenda %s %s\n", id.c_str(),
                rerun.skip_execution ? "reset and held" : "queued to run again");
  }
  return 0;
}

int remove(const ClientSettings& settings, const std::string& id) {
  auto client = connect(settings);
  if (!client) return report_error("delete", client.error());
  auto answer = http_client::request_json(*client, "DELETE",
                                          "/v1/agendas/" + http_client::percent_encode(id));
  if (!answer) return report_error("delete", answer.error());
  if (settings.output == "json") {
    print_json({{"deleted", id}});
  } else {
    std::printf("agenda %s deleted\n", id.c_str());
  }
  return 0;
}

// An operation's progress message, and for every attempt that failed or was stopped the
// diagnostic with the tail of the handler's log: all there is of an agenda the server kept no
// log of (it ran before logs were kept), and what `-o json` prints.
int diagnostics(const ClientSettings& settings, http_client::Client& client, const std::string& id,
                const std::string& operation) {
  Json raw;
  auto progress = fetch_progress(client, id, raw);
  if (!progress) return report_error("logs", progress.error());
  auto found = std::find_if(progress->operations.begin(), progress->operations.end(),
                            [&](const OperationProgress& entry) {
                              return fold_name(entry.operation) == fold_name(operation);
                            });
  if (found == progress->operations.end())
    return report_error(
        "logs",
        {ErrorCode::kNotFound, "agenda " + id + " has no operation \"" + operation + "\"", {}});
  if (settings.output == "json") {
    print_json(operation_progress_to_json(*found));
    return 0;
  }
  std::printf("%s: %s, %d attempt(s)%s%s\n", found->operation.c_str(),
              std::string(state_message_of(found->state)).c_str(), found->attempt_count,
              found->message.empty() ? "" : ", last message: ", found->message.c_str());
  for (const auto& event : found->diagnostic_events) {
    std::printf("--- %s %s\n", format_time(event.time).c_str(), event.message.c_str());
    if (!event.log_tail.empty()) {
      std::fputs(event.log_tail.c_str(), stdout);
      if (event.log_tail.back() != '\n') std::fputc('\n', stdout);
    }
  }
  return 0;
}

struct LogsSettings {
  std::string operation;
  std::optional<int> attempt;  // the latest when unset
  bool follow = false;
};

// The attempt's stored log as it is kept, followed until the attempt ends with --follow.
int logs(const ClientSettings& settings, const std::string& id, const LogsSettings& logs) {
  auto client = connect(settings);
  if (!client) return report_error("logs", client.error());
  if (settings.output == "json") return diagnostics(settings, *client, id, logs.operation);
  http_client::Request request;
  request.target = "/v1/agendas/" + http_client::percent_encode(id) + "/operations/" +
                   http_client::percent_encode(logs.operation) +
                   "/logs?follow=" + (logs.follow ? "true" : "false");
  if (logs.attempt) request.target += "&attempt=" + std::to_string(*logs.attempt);
  auto answer = client->stream(request, [](std::string_view chunk) {
    std::fwrite(chunk.data(), 1, chunk.size(), stdout);
    std::fflush(stdout);
    return true;
  });
  if (!answer) return report_error("logs", answer.error());
  if (answer->status / 100 == 2) return 0;
  // No stored log of an existing operation: show what older servers kept, unless an attempt
  // that has none was asked for by number.
  if (answer->status == 404 && !logs.attempt)
    return diagnostics(settings, *client, id, logs.operation);
  return report_error("logs", http_client::error_from_response(*answer));
}

int outcome_status(const AgendaProgress& progress) {
  return progress.outcome == AgendaOutcome::kSucceeded ? 0 : 1;
}

// Follows the agenda until it completes: the event stream says when it changed, its progress
// says how. The progress is read when the stream opens (and again after a reconnect, and
// after a reset), so that what happened before is shown too, then at each of its events, and
// at each keep-alive: with replicas, the changes made through another replica reach this
// one's stream only that way (docs/observability.md, "Replicas").
int watch(const ClientSettings& settings, const std::string& id) {
  auto client = connect(settings);
  if (!client) return report_error("watch", client.error());
  ProgressDisplay display(stdout, settings.output == "text" && isatty(STDOUT_FILENO) == 1);
  std::optional<int> exit_status;
  // Shows the progress as it is now; false once the agenda ended (or cannot be read).
  auto refresh = [&] {
    Json raw;
    auto progress = fetch_progress(*client, id, raw);
    if (!progress) {
      exit_status = report_error("watch", progress.error());
      return false;
    }
    // Every snapshot's transitions, the last one's too: without a terminal each is a line.
    if (settings.output == "text") {
      for (std::size_t i = 0; i < progress->operations.size(); ++i) display.on_change(*progress, i);
    }
    if (progress->state != ProcessingState::kComplete) return true;
    if (settings.output == "json") {
      print_json(raw);
    } else {
      display.finish(*progress);
    }
    exit_status = outcome_status(*progress);
    return false;
  };
  auto followed =
      follow_events(settings, "/v1/events?agenda=" + http_client::percent_encode(id),
                    {refresh, [&](const http_client::SseEvent&) { return refresh(); }, refresh});
  if (exit_status) return *exit_status;
  return report_error(
      "watch", followed ? Error{ErrorCode::kInternal, "the stream ended", {}} : followed.error());
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

  auto list_settings = std::make_shared<ListSettings>();
  CLI::App* list_command = app.add_subcommand("list", "List agendas, oldest first");
  list_command->add_option("--link-id", list_settings->link_id, "Only agendas with this linkId");
  list_command->add_option("--state", list_settings->state, "WAITING, EXECUTING or COMPLETE")
      ->check(CLI::IsMember({"WAITING", "EXECUTING", "COMPLETE"}));
  list_command->add_option("--customer", list_settings->customer, "Only this customer's agendas");
  list_command->add_option("--limit", list_settings->limit, "Agendas per page")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  list_command->add_flag("--all", list_settings->all, "Follow the pages to the end");
  add_client_options(list_command, *settings);

  auto rerun_settings = std::make_shared<RerunSettings>();
  CLI::App* rerun_command = app.add_subcommand(
      "rerun", "Run a completed agenda again (by default every operation: resetAll)");
  rerun_command->add_option("id", *id, "Agenda id")->required();
  auto* continue_flag = rerun_command->add_flag("--continue", rerun_settings->continue_mode,
                                                "Keep the operations that succeeded");
  rerun_command
      ->add_option("--reset", rerun_settings->operations,
                   "Comma-separated operations to run again, with everything depending on them")
      ->excludes(continue_flag);
  rerun_command->add_flag("--skip-execution", rerun_settings->skip_execution,
                          "Reset the progress but hold the agenda until the next rerun");
  add_client_options(rerun_command, *settings);

  CLI::App* delete_command =
      app.add_subcommand("delete", "Delete an agenda and its progress (a running one is stopped)");
  delete_command->add_option("id", *id, "Agenda id")->required();
  add_client_options(delete_command, *settings);

  auto logs_settings = std::make_shared<LogsSettings>();
  CLI::App* logs_command = app.add_subcommand(
      "logs",
      "Print an operation attempt's log (the latest attempt unless --attempt); the diagnostics "
      "of its failed attempts when the server kept no log");
  logs_command->add_option("id", *id, "Agenda id")->required();
  logs_command->add_option("operation", logs_settings->operation, "Operation name")->required();
  logs_command->add_option("--attempt", logs_settings->attempt, "Attempt number (from 1)")
      ->check(CLI::PositiveNumber);
  logs_command->add_flag("-f,--follow", logs_settings->follow,
                         "Keep printing what the attempt writes until it ends");
  add_client_options(logs_command, *settings);

  return {{submit_command, [=] { return submit(*settings, *path, *key); }},
          {logs_command, [=] { return logs(*settings, *id, *logs_settings); }},
          {list_command, [=] { return list(*settings, *list_settings); }},
          {rerun_command, [=] { return rerun(*settings, *id, *rerun_settings); }},
          {delete_command, [=] { return remove(*settings, *id); }},
          {cancel_command, [=] { return cancel(*settings, *id); }},
          {status_command, [=] { return status(*settings, *id); }},
          {watch_command, [=] { return watch(*settings, *id); }}};
}

}  // namespace pop::cli
