#include "http_client/line_splitter.h"

#include <utility>

namespace pop::http_client {

LineSplitter::LineSplitter(std::function<bool(std::string_view line)> on_line,
                           std::size_t max_line_bytes)
    : on_line_(std::move(on_line)), max_line_bytes_(max_line_bytes) {}

bool LineSplitter::feed(std::string_view chunk) {
  while (!stopped_ && !chunk.empty()) {
    const auto newline = chunk.find('\n');
    if (newline == std::string_view::npos) {
      if (partial_.size() + chunk.size() > max_line_bytes_) {
        overflowed_ = stopped_ = true;
        break;
      }
      partial_.append(chunk);
      break;
    }
    const std::string_view head = chunk.substr(0, newline);
    chunk.remove_prefix(newline + 1);
    if (partial_.empty()) {
      emit(head);  // the common case: the whole line is in this chunk, no copy
    } else {
      partial_.append(head);
      std::string line = std::exchange(partial_, {});
      emit(line);
    }
  }
  return !stopped_;
}

bool LineSplitter::finish() {
  if (stopped_ || partial_.empty()) return !stopped_;
  std::string line = std::exchange(partial_, {});
  emit(line);
  return !stopped_;
}

bool LineSplitter::emit(std::string_view line) {
  if (line.size() > max_line_bytes_) {
    overflowed_ = stopped_ = true;
    return false;
  }
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (!on_line_(line)) stopped_ = true;
  return !stopped_;
}

}  // namespace pop::http_client
