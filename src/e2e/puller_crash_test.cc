// kill -9 of a standalone `pop puller` at random moments while 200 agendas are submitted to
// a server without an embedded puller; each time a new puller takes over.
#include "e2e/crash_harness.h"

namespace pop::e2e {
namespace {

class PullerCrashTest : public CrashTest {
 protected:
  // Its work directories go to the scratch directory (TMPDIR): a killed puller cannot
  // remove them, the test does.
  std::unique_ptr<pop::testing::Subprocess> start_puller() const {
    return std::make_unique<pop::testing::Subprocess>(
        std::vector<std::string>{POP_BINARY, "puller", "--server", address_->get(), "--pool",
                                 "default", "--capacity", "4", "--handlers", registry_.string(),
                                 "--report-seconds", "0.4", "--token", address_->token()},
        std::map<std::string, std::string>{{"TMPDIR", dir_->path().string()}},
        dir_->path().string());
  }
};

TEST_F(PullerCrashTest, KilledPullerLosesNothingDuplicatesNothingAndRerunsNoSucceededOperation) {
  // A short lease, so that the agendas a killed puller was running are reclaimed quickly.
  auto server = start_server({"--data", data().string(), "--handlers", registry_.string(),
                              "--lease-seconds", "2", "--no-embedded-puller"},
                             dir_->path());
  ASSERT_TRUE(server.has_value()) << server.error().message;
  address_.emplace(server->url, admin_token());
  start_submitting();
  auto puller = start_puller();
  for (int round = 1; round <= config_.rounds; ++round) {
    sleep_random(300ms, 1500ms);
    ASSERT_NO_FATAL_FAILURE(snapshot(round));
    kill_hard(*puller, "puller " + std::to_string(round));
    puller = start_puller();
  }
  ASSERT_NO_FATAL_FAILURE(wait_for_all_complete());
  stop(*puller, "last puller");
  stop(*server->process, "server");
  verify();
}

}  // namespace
}  // namespace pop::e2e
