#include "handlers/progress_reporter.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

namespace pop {
namespace {

// Keeps a report within PIPE_BUF, which the kernel writes to a pipe atomically, so that
// reports from several processes of one handler never interleave: JSON escaping grows a
// byte to at most six ("\u001f"), and 6 * 512 plus the rest of the line fits in 4096.
constexpr std::size_t kMaxMessageBytes = 512;
static_assert(6 * kMaxMessageBytes + 64 <= PIPE_BUF);

int progress_fd_from_environment() {
  const char* text = std::getenv("POP_PROGRESS_FD");
  if (text == nullptr) return -1;
  int fd = -1;
  const char* end = text + std::strlen(text);
  const auto [ptr, error] = std::from_chars(text, end, fd);
  if (error != std::errc() || ptr != end || fd < 0) return -1;
  return ::fcntl(fd, F_GETFD) == -1 ? -1 : fd;
}

// Writes with SIGPIPE blocked, consuming a SIGPIPE the write itself raised, so that a
// reader that went away costs the report and not the process.
bool write_without_sigpipe(int fd, const std::string& line) {
  sigset_t pipe_only;
  sigset_t previous;
  sigset_t pending;
  ::sigemptyset(&pipe_only);
  ::sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);
  ::sigpending(&pending);
  const bool already_pending = ::sigismember(&pending, SIGPIPE) == 1;

  ssize_t written;
  do {
    written = ::write(fd, line.data(), line.size());
  } while (written < 0 && errno == EINTR);
  const bool broken = written < 0 && errno == EPIPE;

  if (broken && !already_pending) {
    const timespec no_wait{};
    while (::sigtimedwait(&pipe_only, nullptr, &no_wait) < 0 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return written == static_cast<ssize_t>(line.size());
}

}  // namespace

ProgressReporter::ProgressReporter() : fd_(progress_fd_from_environment()) {}

void ProgressReporter::report(double percent_complete, const std::string& message) {
  if (fd_ < 0) return;
  const nlohmann::json report = {{"percentComplete", percent_complete},
                                 {"message", message.substr(0, kMaxMessageBytes)}};
  // A message cut inside a UTF-8 sequence is repaired rather than rejected.
  const std::string line =
      report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (!write_without_sigpipe(fd_, line)) fd_ = -1;
}

}  // namespace pop
