#include "runner/attempt_run.h"

#include <gtest/gtest.h>

#include <vector>

namespace pop {
namespace {

struct RecordingAttempt {
  void terminate(std::chrono::milliseconds grace) { graces.push_back(grace); }
  void detach() { ++detached; }

  std::vector<std::chrono::milliseconds> graces;
  int detached = 0;
};

TEST(AttemptRun, ForwardsTerminateAndDetachesOnceWhenDestroyed) {
  auto attempt = std::make_shared<RecordingAttempt>();
  {
    std::unique_ptr<HandlerRun> run = std::make_unique<AttemptRun<RecordingAttempt>>(attempt);
    run->terminate(std::chrono::milliseconds(500));
    run->terminate(std::chrono::milliseconds(0));
    EXPECT_EQ(attempt->detached, 0);
  }
  EXPECT_EQ(attempt->graces, (std::vector<std::chrono::milliseconds>{
                                 std::chrono::milliseconds(500), std::chrono::milliseconds(0)}));
  EXPECT_EQ(attempt->detached, 1);
}

}  // namespace
}  // namespace pop
