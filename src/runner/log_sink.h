// Where a handler's combined stdout and stderr go: a log file capped at a byte limit (a
// truncation marker follows the cap, then nothing), and a ring of the last bytes, which
// keeps moving after the cap and becomes HandlerResult::log_tail.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "util/result.h"
#include "util/unique_fd.h"

namespace pop {

class LogSink {
 public:
  // Creates or truncates `path`; an empty path keeps only the tail. kUnavailable when the
  // file cannot be created.
  static Result<LogSink> open(const std::filesystem::path& path, std::size_t limit_bytes,
                              std::size_t tail_bytes);

  void append(std::string_view data);
  // Closes the file; the tail stays available.
  void close();
  // Closes and deletes the file, for an attempt that never started.
  void discard();

  // The last tail_bytes of everything appended, less any partial UTF-8 sequence at the cut,
  // with malformed UTF-8 replaced by U+FFFD.
  std::string tail() const;

 private:
  LogSink(std::filesystem::path path, UniqueFd file, std::size_t limit_bytes,
          std::size_t tail_bytes);
  void write_to_file(std::string_view data);

  std::filesystem::path path_;
  UniqueFd file_;
  std::size_t limit_bytes_;
  std::size_t tail_bytes_;
  std::size_t written_ = 0;  // handler bytes in the file
  bool truncated_ = false;
  bool ends_with_newline_ = true;
  std::size_t total_bytes_ = 0;
  // Holds up to twice tail_bytes_ so that trimming the front is amortized O(1) per byte.
  std::string recent_;
};

}  // namespace pop
