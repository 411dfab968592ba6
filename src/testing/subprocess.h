// Test support: runs a program with arguments, environment additions and optional stdin,
// capturing stdout, stderr and the exit status. Header-only so it stays out of pop_core.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

#include "testing/file_contents.h"

namespace pop::testing {

struct ProcessResult {
  int exit_status = -1;  // exit code, or 128 + signal
  std::string out;
  std::string err;
};

// A started child whose stdout and stderr go to files; wait() collects them.
class Subprocess {
 public:
  Subprocess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
             const std::string& scratch_dir, const std::string& stdin_text = "")
      : out_path_(scratch_dir + "/out." + std::to_string(counter()++)),
        err_path_(out_path_ + ".err"),
        in_path_(out_path_ + ".in") {
    std::ofstream(in_path_) << stdin_text;
    std::vector<std::string> env_strings;
    std::map<std::string, std::string> merged;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string entry(*e);
      const auto eq = entry.find('=');
      if (eq != std::string::npos) merged[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    for (const auto& [key, value] : env) merged[key] = value;
    for (const auto& [key, value] : merged) env_strings.push_back(key + "=" + value);
    std::vector<char*> envp;
    for (auto& entry : env_strings) envp.push_back(entry.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = argv;
    std::vector<char*> argp;
    for (auto& arg : args) argp.push_back(arg.data());
    argp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, in_path_.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
    const int rc = posix_spawn(&pid_, argp[0], &actions, &attributes, argp.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (rc != 0) throw std::runtime_error("cannot spawn " + argv[0]);
  }

  ~Subprocess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      wait();
    }
  }

  pid_t pid() const { return pid_; }
  // What the child has written to stdout so far (it goes to a file, read afresh).
  std::string stdout_so_far() const { return read_file(out_path_); }
  std::string stderr_so_far() const { return read_file(err_path_); }
  // Never with pid_ <= 0: kill(-1, ...) would signal every process of the user.
  void signal(int number) {
    if (pid_ > 0) kill(pid_, number);
  }

  ProcessResult wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    ProcessResult result;
    result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = read_file(out_path_);
    result.err = read_file(err_path_);
    std::remove(out_path_.c_str());
    std::remove(err_path_.c_str());
    std::remove(in_path_.c_str());
    return result;
  }

 private:
  static int& counter() {
    static int value = 0;
    return value;
  }
  pid_t pid_ = -1;
  std::string out_path_, err_path_, in_path_;
};

inline ProcessResult run_process(const std::vector<std::string>& argv,
                                 const std::map<std::string, std::string>& env,
                                 const std::string& scratch_dir,
                                 const std::string& stdin_text = "") {
  return Subprocess(argv, env, scratch_dir, stdin_text).wait();
}

// True when no process with this pid exists any more, not even as a zombie.
inline bool process_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  return !stat.good();
}

// Waits up to `limit` for `predicate`, checking every 10 ms.
template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return predicate();
}

}  // namespace pop::testing
