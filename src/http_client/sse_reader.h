// Reading a Server-Sent Events stream (the WHATWG "event stream" format) whatever the chunk
// boundaries: `pop events`, `pop watch` and the tests of GET /v1/events read the server's
// stream through it. Lines starting with ':' are comments (keep-alives); a block of only an
// `id:` line moves the last event id without an event, as the format says.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "http_client/line_splitter.h"

namespace pop::http_client {

struct SseEvent {
  std::string id;    // the last id seen, this event's or an earlier one's
  std::string type;  // "message" when the block named none
  std::string data;  // the data lines, joined by "\n"
};

// Not synchronised: fed by the one thread that runs the stream.
class SseReader {
 public:
  // `on_event` gets each complete event and returns false to stop. A line longer than
  // `max_line_bytes` stops the reader, as LineSplitter does.
  explicit SseReader(std::function<bool(const SseEvent& event)> on_event,
                     std::size_t max_line_bytes = std::size_t{1} << 20);

  // Fits a ChunkHandler: false once on_event returned false or a line overflowed.
  bool feed(std::string_view chunk) { return lines_.feed(chunk); }

  // The id of the last event or id-only block: what Last-Event-ID resumes from.
  const std::string& last_id() const { return last_id_; }
  bool overflowed() const { return lines_.overflowed(); }

 private:
  bool on_line(std::string_view line);

  std::function<bool(const SseEvent&)> on_event_;
  LineSplitter lines_;
  std::string last_id_;
  std::string type_;
  std::string data_;
  bool has_data_ = false;
};

}  // namespace pop::http_client
