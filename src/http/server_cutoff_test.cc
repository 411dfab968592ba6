// A connection cut off while its body is still arriving (the request deadline, a stopping
// server) must not leave the read that was under way working on freed memory: with data
// already received, the read's completion parses it after the cut.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "http/server.h"
#include "http/server_test_fixture.h"

namespace pop::http::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

TEST_F(ServerTest, BodiesCutOffByTheDeadlineMidReadLeaveTheServerWhole) {
  Router router;
  ASSERT_TRUE(router.add(
      "POST", "/upload",
      [](const HttpRequest& request) {
        return json_response(200, {{"bytes", request.body.size()}});
      },
      BodyLimit{64u << 20}));
  ASSERT_TRUE(router.add("GET", "/healthz", [](const HttpRequest&) {
    return json_response(200, {{"status", "ok"}});
  }));
  ServerOptions options = test_options();
  options.request_timeout = std::chrono::milliseconds(200);
  start_admitting(router, options);

  // Rounds of many connections whose deadlines fall together while each keeps sending: at
  // the deadline, reads that already received data are queued behind the cut.
  const std::string head = "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 67108864\r\n\r\n";
  const std::string chunk(1024, 'x');
  int rounds = 0;
  for (const auto until = SteadyClock::now() + std::chrono::seconds(2); SteadyClock::now() < until;
       ++rounds) {
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < 200; ++i) {
      auto client = std::make_unique<TestClient>();
      if (client->connect(server_->port()) && client->send(head))
        clients.push_back(std::move(client));
    }
    const auto round_end = SteadyClock::now() + std::chrono::milliseconds(400);
    while (SteadyClock::now() < round_end) {
      for (auto& client : clients) client->send(chunk);
    }
  }
  EXPECT_GT(rounds, 1);
  auto alive = round_trip("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(alive);
  EXPECT_EQ(alive->status, 200);
}

}  // namespace
}  // namespace pop::http::testing
