#include "util/process_identity.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

namespace pop {
namespace {

TEST(ProcessIdentity, NamesThisProcessAndRoundTripsAsText) {
  const ProcessIdentity me = ProcessIdentity::self();
  EXPECT_EQ(me.pid, ::getpid());
  EXPECT_GT(me.start_ticks, 0u);
  EXPECT_TRUE(me.alive());
  EXPECT_EQ(ProcessIdentity::parse(me.text()), me);
}

TEST(ProcessIdentity, APidWithAnotherStartTimeIsNotTheSameProcess) {
  ProcessIdentity other = ProcessIdentity::self();
  other.start_ticks += 1;  // what a reused pid looks like
  EXPECT_FALSE(other.alive());
}

TEST(ProcessIdentity, AnEndedProcessIsNotAlive) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  const auto identity = ProcessIdentity::of(child);
  ASSERT_TRUE(identity.has_value());
  EXPECT_TRUE(identity->alive());
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_FALSE(identity->alive());
  EXPECT_FALSE(ProcessIdentity::of(child).has_value());
}

TEST(ProcessIdentity, ParseRefusesWhatTextNeverWrites) {
  for (const char* bad : {"", "12", ":5", "12:", "x:1", "1:y", "-3:4", "0:4", "1:2:3"})
    EXPECT_FALSE(ProcessIdentity::parse(bad).has_value()) << bad;
}

}  // namespace
}  // namespace pop
