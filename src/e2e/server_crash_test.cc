// kill -9 of `pop server` (API, store and embedded puller in one process) at random moments
// while 200 agendas are submitted and run; each time it is restarted on the same data
// directory, at a new port the submitter follows.
#include "e2e/crash_harness.h"

namespace pop::e2e {
namespace {

class ServerCrashTest : public CrashTest {
 protected:
  // A short lease, so that the agendas a killed server was running are reclaimed quickly.
  Result<ServerProcess> start() const {
    return start_server({"--data", data().string(), "--handlers", registry_.string(),
                         "--lease-seconds", "2", "--capacity", "4"},
                        dir_->path());
  }
};

TEST_F(ServerCrashTest, KilledServerLosesNothingDuplicatesNothingAndRerunsNoSucceededOperation) {
  auto server = start();
  ASSERT_TRUE(server.has_value()) << server.error().message;
  address_.emplace(server->url, admin_token());
  start_submitting();
  for (int round = 1; round <= config_.rounds; ++round) {
    sleep_random(300ms, 1500ms);
    ASSERT_NO_FATAL_FAILURE(snapshot(round));
    kill_hard(*server->process, "server " + std::to_string(round));
    server = start();
    ASSERT_TRUE(server.has_value()) << server.error().message;
    address_->set(server->url);
  }
  ASSERT_NO_FATAL_FAILURE(wait_for_all_complete());
  stop(*server->process, "last server");
  verify();
}

}  // namespace
}  // namespace pop::e2e
