// Test support: a real `pop server` process on a loopback port the kernel picks, with its
// data in a directory the test owns, and an HTTP client for it. Header-only so it stays out
// of pop_core. Needs POP_BINARY (set for pop_tests by CMake).
#pragma once

#include <signal.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "auth/admin_token_file.h"
#include "http_client/client.h"
#include "testing/api_client.h"
#include "testing/subprocess.h"

namespace pop::testing {

class PopServer {
 public:
  // Starts `pop server --listen 127.0.0.1:0 --data <data_dir> <arguments...>` in `work_dir`
  // (also its scratch directory), with `environment` added to this process's, and waits
  // until it listens. Throws on failure, so a test that cannot start its server stops at once.
  PopServer(const std::string& data_dir, const std::string& work_dir,
            const std::vector<std::string>& arguments = {},
            const std::map<std::string, std::string>& environment = {}) {
    std::vector<std::string> argv = {POP_BINARY,    "server", "--listen",
                                     "127.0.0.1:0", "--data", data_dir};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    process_.emplace(argv, environment, work_dir);
    const std::regex listening(R"(listening on (http://127\.0\.0\.1:([0-9]+)))");
    // `out` outlives `match`, whose sub-matches point into it.
    std::string out;
    std::smatch match;
    if (!eventually([&] {
          out = process_->stdout_so_far();
          return std::regex_search(out, match, listening) || process_gone(process_->pid());
        }) ||
        match.empty()) {
      throw std::runtime_error("pop server did not start: " + out);
    }
    base_url_ = match[1].str();
    port_ = static_cast<std::uint16_t>(std::stoul(match[2].str()));
    // The bootstrap admin token is written before the server listens.
    admin_token_ =
        auth::read_admin_token_file(std::filesystem::path(data_dir) / auth::kAdminTokenFileName)
            .value_or("");
  }

  const std::string& base_url() const { return base_url_; }
  // The port of base_url(), for tests that open their own sockets to the server.
  std::uint16_t port() const { return port_; }
  // The server's bootstrap admin token (<data>/admin.token).
  const std::string& admin_token() const { return admin_token_; }
  int pid() const { return process_->pid(); }
  std::string stderr_so_far() const { return process_->stderr_so_far(); }

  // A client that acts as the admin unless another bearer token is given.
  http_client::Client client(std::optional<std::string> bearer_token = std::nullopt) const {
    return api_client(base_url_, bearer_token.value_or(admin_token_));
  }

  // SIGTERM and wait: the exit status (0 for a clean stop) and what it printed.
  ProcessResult stop() {
    process_->signal(SIGTERM);
    return process_->wait();
  }

 private:
  std::optional<Subprocess> process_;
  std::string base_url_;
  std::uint16_t port_ = 0;
  std::string admin_token_;
};

}  // namespace pop::testing
