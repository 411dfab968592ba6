#include "runner/log_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "util/text.h"

namespace pop {

Result<LogSink> LogSink::open(const std::filesystem::path& path, std::size_t limit_bytes,
                              std::size_t tail_bytes) {
  UniqueFd file;
  if (!path.empty()) {
    // The owner's alone, whatever the umask: a handler's output can hold anything it printed.
    file.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!file) {
      return fail(ErrorCode::kUnavailable,
                  "cannot create log file " + path.string() + ": " + std::strerror(errno));
    }
  }
  return LogSink(path, std::move(file), limit_bytes, tail_bytes);
}

LogSink::LogSink(std::filesystem::path path, UniqueFd file, std::size_t limit_bytes,
                 std::size_t tail_bytes)
    : path_(std::move(path)),
      file_(std::move(file)),
      limit_bytes_(limit_bytes),
      tail_bytes_(tail_bytes) {}

void LogSink::append(std::string_view data) {
  total_bytes_ += data.size();
  if (tail_bytes_ > 0) {
    recent_.append(data.substr(data.size() - std::min(data.size(), 2 * tail_bytes_)));
    if (recent_.size() > 2 * tail_bytes_) recent_.erase(0, recent_.size() - tail_bytes_);
  }

  if (!file_ || truncated_ || data.empty()) return;
  const std::size_t room = limit_bytes_ - written_;
  if (data.size() <= room) {
    write_to_file(data);
    written_ += data.size();
    return;
  }
  write_to_file(data.substr(0, room));
  written_ += room;
  truncated_ = true;
  std::string marker = ends_with_newline_ ? "" : "\n";
  marker += "[pop: log truncated after " + std::to_string(limit_bytes_) + " bytes]\n";
  write_to_file(marker);
}

void LogSink::write_to_file(std::string_view data) {
  if (data.empty()) return;
  ends_with_newline_ = data.back() == '\n';
  while (!data.empty()) {
    const ssize_t n = ::write(file_.get(), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // A full or failing disk costs the log, never the attempt.
      file_.reset();
      return;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void LogSink::close() { file_.reset(); }

void LogSink::discard() {
  if (path_.empty()) return;
  file_.reset();
  std::error_code ignored;  // best effort: the attempt is failing for a better reason
  std::filesystem::remove(path_, ignored);
}

std::string LogSink::tail() const {
  std::string_view tail = recent_;
  if (tail.size() > tail_bytes_) tail.remove_prefix(tail.size() - tail_bytes_);
  if (total_bytes_ > tail.size()) {
    // A UTF-8 continuation byte (10xxxxxx) at the cut belongs to a character cut in half.
    for (int i = 0;
         i < 3 && !tail.empty() && (static_cast<unsigned char>(tail.front()) & 0xC0) == 0x80; ++i) {
      tail.remove_prefix(1);
    }
  }
  // Handlers print arbitrary bytes; the tail goes into JSON documents, which need UTF-8.
  return valid_utf8(tail);
}

}  // namespace pop
