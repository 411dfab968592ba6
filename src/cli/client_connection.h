// What every client subcommand shares: the options that say which server and how to
// authenticate, the connection made from them, and how answers and errors are printed.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "http_client/client.h"

namespace pop::cli {

inline constexpr int kExitUnreachable = 3;

struct ClientSettings {
  std::string server = "http://127.0.0.1:8080";
  std::string token;
  std::string data;  // a local server's data directory, for its admin.token
  std::string ca_file;
  std::string output = "text";
};

void add_client_options(CLI::App* command, ClientSettings& settings);

// The bearer token to send: --token, else $POP_TOKEN, else, for a server on this machine
// (a loopback host), the admin token in <--data or $POP_DATA or ./pop-data>/admin.token;
// empty when there is none.
std::string client_token(const ClientSettings& settings);

Result<http_client::Client> connect(const ClientSettings& settings);

// Prints the error and returns the exit status: 3 when the server is unreachable, else 2.
int report_error(const char* command, const Error& error);

void print_json(const nlohmann::json& document);

}  // namespace pop::cli
