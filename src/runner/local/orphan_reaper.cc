#include "runner/local/orphan_reaper.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace pop {
namespace {

// Children of `parent`, from /proc/<pid>/stat: "pid (comm) state ppid ...". comm may hold
// spaces and parentheses, so parsing starts after the last ')'.
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    long ppid = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %ld", &state, &ppid) != 2) continue;
    if (ppid == parent) children.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return children;
}

}  // namespace

bool become_subreaper() { return ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0; }

std::size_t kill_and_reap_children() {
  std::size_t ended = 0;
  // Killing a child can re-parent its own children to us: repeat until none is left.
  for (int round = 0; round < 100; ++round) {
    const std::vector<pid_t> children = children_of(::getpid());
    if (children.empty()) break;
    for (pid_t child : children) ::kill(child, SIGKILL);
    for (pid_t child : children) {
      if (::waitpid(child, nullptr, 0) == child) ++ended;
    }
  }
  return ended;
}

}  // namespace pop
