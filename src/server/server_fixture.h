// Test support: a GoogleTest fixture with a POP server assembled in-process (server/server.h)
// per test, in a temporary directory of its own, and the admin's HTTP client for it. For
// tests of routes: the server is what `pop server` runs, without a process around it.
// Subclasses adjust the configuration in configure(); what the server logs is kept as text,
// as `pop server` would print it (log_text()).
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "auth/admin_token_file.h"
#include "runner/local/local_runner.h"
#include "server/server.h"
#include "testing/api_client.h"
#include "testing/api_client_fixture.h"
#include "testing/file_contents.h"
#include "util/stream_logger.h"

namespace pop::server {

class ServerFixture : public pop::testing::ApiClientFixture {
 protected:
  // Adjusts the configuration, which starts as `pop server --lease-seconds 5` on a free
  // loopback port would be: the built-in handler types of POP_BINARY, an embedded puller
  // with the local runner and a capacity of 4.
  virtual void configure(ServerConfig& config) { (void)config; }

  void SetUp() override {
    ApiClientFixture::SetUp();
    if (HasFatalFailure()) return;
    log_path_ = dir_->path() / "server.log";
    log_file_.reset(std::fopen(log_path_.c_str(), "we"));
    ASSERT_NE(log_file_, nullptr);
    logger_.emplace("pop server", LogFormat::kText, LogLevel::kInfo, log_file_.get(),
                    log_file_.get());

    ServerConfig config;
    config.port = 0;
    config.data_directory = data_dir();
    config.lease_duration = std::chrono::seconds(5);
    config.registry = HandlerRegistry::builtin(POP_BINARY);
    config.embedded_puller =
        EmbeddedPullerConfig{[](const std::filesystem::path& work_root, const std::string&, Logger&,
                                Clock& clock) -> Result<std::unique_ptr<Runner>> {
          auto runner = LocalRunner::create({.work_root = work_root, .clock = &clock});
          if (!runner) return fail(runner.error());
          return std::unique_ptr<Runner>(std::move(*runner));
        }};
    config.logger = &*logger_;
    configure(config);
    if (HasFatalFailure()) return;
    auto server = Server::start(std::move(config));
    ASSERT_TRUE(server.has_value()) << server.error().message;
    server_ = std::move(*server);
    base_url_ = server_->url();
    admin_token_ = auth::read_admin_token_file(data_dir() / auth::kAdminTokenFileName).value_or("");
    client_.emplace(client());
  }

  void TearDown() override { stop_server(); }

  // Stops the server (as SIGTERM stops `pop server`); idempotent.
  void stop_server() {
    if (server_) server_->stop();
  }

  std::uint16_t port() const { return server_->port(); }
  const std::string& admin_token() const { return admin_token_; }

  // A client that acts as the admin unless another bearer token is given.
  http_client::Client client(std::optional<std::string> bearer_token = std::nullopt) const {
    return pop::testing::api_client(base_url_, bearer_token.value_or(admin_token_));
  }

  // Everything the server logged so far, one event per line.
  std::string log_text() const {
    std::fflush(log_file_.get());
    return pop::testing::read_file(log_path_);
  }

 private:
  // Declared before the server, which logs to them until it is gone.
  std::filesystem::path log_path_;
  struct CloseFile {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  std::unique_ptr<std::FILE, CloseFile> log_file_;
  std::optional<StreamLogger> logger_;
  std::string admin_token_;

 protected:
  std::unique_ptr<Server> server_;
};

}  // namespace pop::server
