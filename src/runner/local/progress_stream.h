// Turns the bytes a handler writes to its progress pipe into progress reports: one JSON
// object per line, {"percentComplete": N, "message": "..."}. Lines may arrive in pieces;
// lines that are not such an object, or longer than kMaxLineBytes, are ignored, since
// progress is advisory and a handler must not be able to disturb the runner with it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pop {

class ProgressStream {
 public:
  static constexpr std::size_t kMaxLineBytes = 64u << 10;

  struct Report {
    double percent_complete;  // clamped to [0, 100]
    std::string message;
  };

  // The reports completed by `data`.
  std::vector<Report> feed(std::string_view data);
  // At end of stream: the last line if it had no newline.
  std::vector<Report> finish();

 private:
  void end_line(std::vector<Report>& reports);

  std::string line_;
  bool overlong_ = false;  // the current line passed kMaxLineBytes and is being skipped
};

}  // namespace pop
