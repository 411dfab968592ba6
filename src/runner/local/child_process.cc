#include "runner/local/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "runner/local/pidfd.h"

namespace pop {
namespace {

// posix_spawn's C structures, destroyed on every path.
class SpawnFileActions {
 public:
  SpawnFileActions() { ::posix_spawn_file_actions_init(&actions_); }
  ~SpawnFileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

class SpawnAttributes {
 public:
  SpawnAttributes() { ::posix_spawnattr_init(&attributes_); }
  ~SpawnAttributes() { ::posix_spawnattr_destroy(&attributes_); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  posix_spawnattr_t* get() { return &attributes_; }

 private:
  posix_spawnattr_t attributes_;
};

// The child's descriptors are set up by dup2 in order (output to 1 and 2, then progress to
// 3). A source that is itself a lower target would be overwritten before it is used; that
// happens only when this process runs with stdio closed, and then the source is moved up.
Result<int> above_targets(int fd, UniqueFd& copy) {
  if (fd > ChildProcess::kProgressFd) return fd;
  copy.reset(::fcntl(fd, F_DUPFD_CLOEXEC, ChildProcess::kProgressFd + 1));
  if (!copy) {
    return fail(ErrorCode::kUnavailable,
                std::string("cannot duplicate a descriptor: ") + std::strerror(errno));
  }
  return copy.get();
}

// Signals a parent process commonly ignores (SIGPIPE in servers) or blocks (SIGINT and
// SIGTERM here, which are taken by sigwait): an ignored disposition survives exec, and a
// handler must start with the defaults.
constexpr int kDefaultedSignals[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGPIPE, SIGTERM, SIGCHLD, SIGALRM,
                                     SIGUSR1, SIGUSR2, SIGTSTP, SIGTTIN, SIGTTOU, SIGXFSZ};

}  // namespace

std::string ExitStatus::describe() const {
  if (exit_code) return "exited with status " + std::to_string(*exit_code);
  if (signal) {
    const char* name = ::sigdescr_np(*signal);
    return "killed by signal " + std::to_string(*signal) + " (" +
           (name != nullptr ? name : "unknown") + ")";
  }
  return "exit status unavailable";
}

Result<ChildProcess> ChildProcess::spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return fail(ErrorCode::kInvalidArgument, "the handler has no command");
  const std::string& command = options.argv.front();

  UniqueFd output_copy;
  UniqueFd progress_copy;
  auto output_fd = above_targets(options.output_fd, output_copy);
  if (!output_fd) return fail(std::move(output_fd).error());
  auto progress_fd = above_targets(options.progress_fd, progress_copy);
  if (!progress_fd) return fail(std::move(progress_fd).error());

  SpawnFileActions actions;
  SpawnAttributes attributes;
  sigset_t empty_mask;
  sigset_t defaulted;
  ::sigemptyset(&empty_mask);
  ::sigemptyset(&defaulted);
  for (int signal : kDefaultedSignals) ::sigaddset(&defaulted, signal);

  // Each call fails only for lack of memory; the first failure is reported.
  int rc = ::posix_spawn_file_actions_adddup2(actions.get(), *output_fd, STDOUT_FILENO);
  if (rc == 0) rc = ::posix_spawn_file_actions_adddup2(actions.get(), *output_fd, STDERR_FILENO);
  if (rc == 0) rc = ::posix_spawn_file_actions_adddup2(actions.get(), *progress_fd, kProgressFd);
  if (rc == 0) {
    rc = ::posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  // Every descriptor this process opens is meant to be close-on-exec, but one opened by a
  // library without O_CLOEXEC, or by another thread between its creation and the flag being
  // set, would otherwise reach the handler (a listening socket, a client's connection, the
  // database). Nothing but the contract's descriptors may: the rest is closed in the child.
  if (rc == 0) rc = ::posix_spawn_file_actions_addclosefrom_np(actions.get(), kProgressFd + 1);
  if (rc == 0) {
    rc = ::posix_spawn_file_actions_addchdir_np(actions.get(), options.working_directory.c_str());
  }
  if (rc == 0) {
    rc = ::posix_spawnattr_setflags(
        attributes.get(), POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  if (rc == 0) rc = ::posix_spawnattr_setpgroup(attributes.get(), 0);
  if (rc == 0) rc = ::posix_spawnattr_setsigmask(attributes.get(), &empty_mask);
  if (rc == 0) rc = ::posix_spawnattr_setsigdefault(attributes.get(), &defaulted);
  if (rc != 0) {
    return fail(ErrorCode::kUnavailable,
                "cannot prepare to start '" + command + "': " + std::strerror(rc));
  }

  std::vector<char*> argv;
  argv.reserve(options.argv.size() + 1);
  // posix_spawn's prototype predates const; it does not modify the strings.
  for (const auto& arg : options.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  // glibc reports a failed exec (e.g. ENOENT) here and has already reaped the child.
  pid_t pid = 0;
  rc = ::posix_spawnp(&pid, command.c_str(), actions.get(), attributes.get(), argv.data(),
                      options.envp);
  if (rc != 0) {
    return fail(ErrorCode::kUnavailable, "cannot start '" + command + "': " + std::strerror(rc));
  }

  UniqueFd pidfd(pidfd_open(pid));
  if (!pidfd) {
    const int error = errno;
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return fail(ErrorCode::kUnavailable,
                "cannot watch '" + command + "' (pidfd_open): " + std::strerror(error));
  }
  return ChildProcess(pid, std::move(pidfd));
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, 0)), pidfd_(std::move(other.pidfd_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (!reaped()) kill_group_and_reap();
    pid_ = std::exchange(other.pid_, 0);
    pidfd_ = std::move(other.pidfd_);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (!reaped()) kill_group_and_reap();
}

void ChildProcess::signal_group(int signal) const {
  if (!reaped()) ::kill(-pid_, signal);
}

ExitStatus ChildProcess::kill_group_and_reap() {
  ::kill(-pid_, SIGKILL);
  siginfo_t info{};
  int rc;
  do {
    rc = ::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED);
  } while (rc != 0 && errno == EINTR);
  pid_ = 0;
  // Closing the pidfd also takes it out of any epoll set.
  pidfd_.reset();

  ExitStatus status;
  if (rc != 0) return status;
  if (info.si_code == CLD_EXITED) {
    status.exit_code = info.si_status;
  } else {
    status.signal = info.si_status;
  }
  return status;
}

}  // namespace pop
