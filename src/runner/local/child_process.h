// A handler process, spawned as the leader of its own process group and watched through a
// pidfd. The group id equals the leader's pid, and that id cannot be reused while the
// leader is unreaped, so until kill_group_and_reap() signals to the group can reach nobody
// else. Destroying an unreaped ChildProcess kills the group and reaps the leader.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"
#include "util/unique_fd.h"

namespace pop {

// How the leader ended: exactly one of the two is set, or neither when the status could not
// be collected (someone else reaped it).
struct ExitStatus {
  std::optional<int> exit_code;
  std::optional<int> signal;

  // "exited with status 3", "killed by signal 9 (Killed)".
  std::string describe() const;
};

struct SpawnOptions {
  const std::vector<std::string>& argv;  // argv[0] is looked up in PATH
  char* const* envp;
  const std::filesystem::path& working_directory;
  int output_fd;    // becomes stdout and stderr
  int progress_fd;  // becomes kProgressFd
};

class ChildProcess {
 public:
  static constexpr int kProgressFd = 3;

  // stdin is /dev/null, signal mask empty, commonly ignored signals back to their defaults.
  // The child has descriptors 0 to kProgressFd only: every other one is closed before exec.
  // kUnavailable (naming the command) when it cannot be started; nothing is left running.
  static Result<ChildProcess> spawn(const SpawnOptions& options);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // Readable once the leader has exited.
  int pidfd() const { return pidfd_.get(); }
  bool reaped() const { return pid_ <= 0; }

  // Signals every process in the group; nothing once reaped.
  void signal_group(int signal) const;

  // SIGKILLs what is left of the group, then waits for the leader and collects its status.
  // Killing first, while the unreaped leader still pins the group id, is what guarantees
  // that nothing the handler started outlives it.
  ExitStatus kill_group_and_reap();

 private:
  ChildProcess(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}

  pid_t pid_ = 0;
  UniqueFd pidfd_;
};

}  // namespace pop
