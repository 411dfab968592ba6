#include "runner/local/child_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "runner/local/pipe.h"

namespace pop {
namespace {

extern "C" char** environ;

TEST(ExitStatusTest, DescribesHowTheProcessEnded) {
  EXPECT_EQ((ExitStatus{.exit_code = 3, .signal = std::nullopt}).describe(),
            "exited with status 3");
  EXPECT_EQ((ExitStatus{.exit_code = std::nullopt, .signal = SIGKILL}).describe(),
            "killed by signal 9 (Killed)");
  EXPECT_EQ(ExitStatus{}.describe(), "exit status unavailable");
}

class ChildProcessTest : public ::testing::Test {
 protected:
  Result<ChildProcess> spawn(const std::vector<std::string>& argv) {
    return ChildProcess::spawn({.argv = argv,
                                .envp = environ,
                                .working_directory = "/",
                                .output_fd = output_->write_end.get(),
                                .progress_fd = progress_->write_end.get()});
  }

  Result<Pipe> output_ = Pipe::create();
  Result<Pipe> progress_ = Pipe::create();
};

TEST_F(ChildProcessTest, CollectsTheExitStatus) {
  auto child = spawn({"sh", "-c", "exit 4"});
  ASSERT_TRUE(child) << child.error().message;
  pollfd exited{child->pidfd(), POLLIN, 0};
  ASSERT_EQ(::poll(&exited, 1, 30'000), 1);
  EXPECT_EQ(child->kill_group_and_reap().exit_code, 4);
  EXPECT_TRUE(child->reaped());
}

TEST_F(ChildProcessTest, LeadsItsOwnProcessGroup) {
  auto child = spawn({"sleep", "300"});
  ASSERT_TRUE(child) << child.error().message;
  EXPECT_EQ(::getpgid(child->pid()), child->pid());
  EXPECT_EQ(child->kill_group_and_reap().signal, SIGKILL);
}

TEST_F(ChildProcessTest, UnknownCommandIsUnavailable) {
  const auto child = spawn({"pop-test-no-such-command"});
  ASSERT_FALSE(child);
  EXPECT_EQ(child.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(child.error().message,
            "cannot start 'pop-test-no-such-command': No such file or directory");
}

TEST_F(ChildProcessTest, DestructionKillsAndReaps) {
  pid_t pid = 0;
  {
    auto child = spawn({"sleep", "300"});
    ASSERT_TRUE(child) << child.error().message;
    pid = child->pid();
  }
  // Reaped, so not even a zombie is left.
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST_F(ChildProcessTest, InheritsOnlyTheContractDescriptors) {
  // What a library might leave open without close-on-exec: a socket and a file.
  UniqueFd socket(::socket(AF_INET, SOCK_STREAM, 0));
  UniqueFd file(::open("/dev/null", O_RDONLY));
  ASSERT_TRUE(socket && file);
  // posix_spawn returns once the child has executed the program (it waits for the exec
  // of its vfork-like clone), so its descriptor table is final and can be read from here.
  // Listed from a shell in the child instead, the listing raced with the shell's own
  // descriptors of a background job before its exec (seen under load as a stray "4").
  auto child = spawn({"sleep", "30"});
  ASSERT_TRUE(child) << child.error().message;
  std::vector<int> inherited;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(child->pid()) + "/fd")) {
    inherited.push_back(std::stoi(entry.path().filename().string()));
  }
  std::sort(inherited.begin(), inherited.end());
  EXPECT_EQ(inherited, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(child->kill_group_and_reap().signal, SIGKILL);
}

}  // namespace
}  // namespace pop
