// Test support: a GoogleTest fixture with a real `pop server` (testing/pop_server.h) per
// test, in a temporary directory of its own, and an HTTP client for it: for tests of what the
// executable does (its flags, signals, limits of the process, what it prints). Tests of routes
// use the server in-process (server/server_fixture.h). Subclasses choose the server's
// arguments and may prepare its data directory before it starts.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "testing/api_client_fixture.h"
#include "testing/pop_server.h"

namespace pop::testing {

class PopServerFixture : public ApiClientFixture {
 protected:
  virtual std::vector<std::string> server_arguments() const { return {"--lease-seconds", "5"}; }

  void SetUp() override {
    ApiClientFixture::SetUp();
    if (HasFatalFailure()) return;
    // DIR lets handler commands in a test's registry find the test's directory.
    server_.emplace(data_dir().string(), dir_->path().string(), server_arguments(),
                    std::map<std::string, std::string>{{"DIR", dir_->path().string()}});
    base_url_ = server_->base_url();
    client_.emplace(server_->client());
  }

  void TearDown() override {
    if (server_) {
      auto result = server_->stop();
      EXPECT_EQ(result.exit_status, 0) << result.err;
    }
  }

  // The server's port (of base_url_), for tests that open their own sockets to it.
  std::uint16_t port() const { return server_->port(); }

  std::optional<PopServer> server_;
};

}  // namespace pop::testing
