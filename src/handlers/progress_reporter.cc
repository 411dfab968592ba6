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

const char* environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

}  // namespace

ProgressReporter::ProgressReporter() : fd_(progress_fd_from_environment()) {
  if (fd_ >= 0) return;
  const char* url = environment("POP_REPORT_URL");
  const char* token = environment("POP_REPORT_TOKEN");
  if (url == nullptr || token == nullptr) return;
  // The Client takes a base URL and request targets: split after scheme://authority.
  const std::string_view whole(url);
  const std::size_t scheme_end = whole.find("://");
  const std::size_t path_start =
      scheme_end == std::string_view::npos ? scheme_end : whole.find('/', scheme_end + 3);
  if (path_start == std::string_view::npos) return;
  http_client::ClientOptions options;
  options.base_url = std::string(whole.substr(0, path_start));
  options.bearer_token = token;
  if (const char* ca = environment("POP_REPORT_CA")) options.ca_file = ca;
  // A slow server costs the handler a late percentage, never its own work.
  options.connect_timeout = std::chrono::seconds(2);
  options.request_timeout = std::chrono::seconds(5);
  auto client = http_client::Client::create(std::move(options));
  if (!client) return;
  endpoint_.emplace(std::move(*client));
  endpoint_path_ = std::string(whole.substr(path_start));
}

void ProgressReporter::report(double percent_complete, const std::string& message) {
  if (fd_ < 0 && !endpoint_) return;
  const nlohmann::json report = {{"percentComplete", percent_complete},
                                 {"message", message.substr(0, kMaxMessageBytes)}};
  // A message cut inside a UTF-8 sequence is repaired rather than rejected.
  const std::string line =
      report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (fd_ >= 0) {
    if (!write_without_sigpipe(fd_, line)) fd_ = -1;
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (percent_complete < 100 && last_post_ && now - *last_post_ < kReportInterval) return;
  last_post_ = now;
  auto answer =
      endpoint_->request("POST", endpoint_path_, line, {{"Content-Type", "application/json"}});
  // 409: the lease is gone, and every later report would be refused too.
  if (answer && answer->status == 409) endpoint_.reset();
}

}  // namespace pop
