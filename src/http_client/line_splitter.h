// Cutting a streamed body into lines whatever the chunk boundaries, for newline-delimited
// JSON watches and log follows.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace pop::http_client {

// Not synchronised: fed by the one thread that runs the stream.
class LineSplitter {
 public:
  // `on_line` gets each line without its "\n" or "\r\n" and returns false to stop. A line
  // longer than `max_line_bytes` stops the splitter (overflowed() tells), so a peer that
  // never sends a newline cannot exhaust memory.
  explicit LineSplitter(std::function<bool(std::string_view line)> on_line,
                        std::size_t max_line_bytes = std::size_t{1} << 20);

  // Passes every complete line in `chunk` to on_line. Returns false once on_line has
  // returned false or a line overflowed; later calls then do nothing. Fits a ChunkHandler.
  bool feed(std::string_view chunk);

  // Passes on a last line that had no newline, if any; call it at the end of the stream.
  bool finish();

  bool overflowed() const { return overflowed_; }

 private:
  bool emit(std::string_view line);

  std::function<bool(std::string_view)> on_line_;
  std::size_t max_line_bytes_;
  std::string partial_;  // bytes after the last newline seen
  bool stopped_ = false;
  bool overflowed_ = false;
};

}  // namespace pop::http_client
