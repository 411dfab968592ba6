// Idle connections against a real `pop server`: however many sockets one client holds open
// without a request, other clients are served, and the excess is told 503 at once instead of
// hanging. 127.0.0.2 (and up) play the attackers, 127.0.0.1 the victim.
#include <gtest/gtest.h>

#include "http/test_http_client.h"
#include "testing/hostile_clients.h"
#include "testing/loopback_socket.h"
#include "testing/pop_server_fixture.h"
#include "testing/process_stats.h"

namespace pop::http {
namespace {

using namespace std::chrono_literals;
using namespace pop::testing;
using SteadyClock = std::chrono::steady_clock;
using http::testing::TestClient;

// One /healthz from 127.0.0.1 on a fresh connection: its status (0 for none) and how long
// it took.
std::pair<int, SteadyClock::duration> healthz(std::uint16_t port) {
  const auto began = SteadyClock::now();
  TestClient client;
  int status = 0;
  if (client.connect(port) && client.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")) {
    if (auto response = client.read_response(5s)) status = response->status;
  }
  return {status, SteadyClock::now() - began};
}

// Opens `count` idle sockets, spread round robin over the source addresses 127.0.0.2 up to
// 127.0.0.<1 + addresses>; stops at the first that fails to connect.
void open_idle(SocketSet& sockets, std::uint16_t port, int count, int addresses) {
  for (int i = 0; i < count; ++i) {
    const std::string source = "127.0.0." + std::to_string(2 + i % addresses);
    const int fd = open_loopback_socket(port, source.c_str());
    if (fd < 0) break;
    sockets.add(fd);
  }
}

// A server started under `ulimit -Sn 1024` (the common default) with a higher hard limit.
class LowSoftFileLimitTest : public PopServerFixture {
 protected:
  void SetUp() override {
    SoftOpenFileLimit lowered(1024);  // inherited by the server, restored for this test
    PopServerFixture::SetUp();
  }
};

TEST_F(LowSoftFileLimitTest, ServerRaisesItsDescriptorLimitSoIdleSocketsDoNotLockOutHealthz) {
  rlimit own{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &own), 0);
  if (own.rlim_max < 4096) GTEST_SKIP() << "the hard descriptor limit is too low to test";
  EXPECT_EQ(soft_open_file_limit(server_->pid()), own.rlim_max);

  // 1,100 sockets from five addresses (220 each, under any per-address cap): past 1,024
  // descriptors a server that kept the soft limit can accept nothing more.
  SocketSet idle;
  open_idle(idle, port(), 1100, 5);
  ASSERT_EQ(idle.size(), 1100u);
  for (int probe = 0; probe < 3; ++probe) {
    const auto [status, took] = healthz(port());
    EXPECT_EQ(status, 200);
    EXPECT_LT(took, 1s);
  }
  EXPECT_EQ(server_->stderr_so_far().find("accept failed"), std::string::npos)
      << server_->stderr_so_far().substr(0, 2000);
}

class IdleFloodTest : public PopServerFixture {};

TEST_F(IdleFloodTest, TenThousandIdleSocketsFromOneAddressDoNotLockOutOthers) {
  rlimit own{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &own), 0);
  if (own.rlim_cur < 10'500) GTEST_SKIP() << "this test needs 10,500 descriptors";
  SocketSet idle;
  const auto began = SteadyClock::now();
  open_idle(idle, port(), 10'100, 1);
  ASSERT_EQ(idle.size(), 10'100u);
  std::printf("[ figures  ] 10,100 sockets opened in %lld ms\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - began)
                      .count()));

  for (int probe = 0; probe < 3; ++probe) {
    const auto [status, took] = healthz(port());
    EXPECT_EQ(status, 200);
    EXPECT_LT(took, 1s);
  }

  // The attacker's last socket is beyond its address's share: it was answered 503 at once,
  // with no request needed, and closed.
  TestClient last;
  ASSERT_TRUE(last.connect(port(), "127.0.0.2"));
  const auto asked = SteadyClock::now();
  auto shed = last.read_response(2s);
  ASSERT_TRUE(shed) << last.error();
  EXPECT_EQ(shed->status, 503);
  EXPECT_TRUE(shed->headers.get("Retry-After").has_value());
  EXPECT_NE(shed->body.find("per client address"), std::string::npos) << shed->body;
  EXPECT_LT(SteadyClock::now() - asked, 1s);

  // Sockets that never send a request do not hold their slot for long.
  TestClient silent;
  ASSERT_TRUE(silent.connect(port(), "127.0.0.4"));
  const auto opened = SteadyClock::now();
  EXPECT_TRUE(silent.wait_closed(15s));
  EXPECT_LT(SteadyClock::now() - opened, 10s);
}

}  // namespace
}  // namespace pop::http
