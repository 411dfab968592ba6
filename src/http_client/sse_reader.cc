#include "http_client/sse_reader.h"

#include <utility>

namespace pop::http_client {

SseReader::SseReader(std::function<bool(const SseEvent& event)> on_event,
                     std::size_t max_line_bytes)
    : on_event_(std::move(on_event)),
      lines_([this](std::string_view line) { return on_line(line); }, max_line_bytes) {}

bool SseReader::on_line(std::string_view line) {
  if (line.empty()) {  // the end of a block: dispatch
    std::string type = std::exchange(type_, {});
    if (!has_data_) return true;
    has_data_ = false;
    SseEvent event{last_id_, type.empty() ? "message" : std::move(type), std::exchange(data_, {})};
    return on_event_(event);
  }
  if (line.front() == ':') return true;
  const std::size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (value.starts_with(' ')) value.remove_prefix(1);
  if (field == "data") {
    if (has_data_) data_ += '\n';
    data_ += value;
    has_data_ = true;
  } else if (field == "event") {
    type_ = value;
  } else if (field == "id" && value.find('\0') == std::string_view::npos) {
    last_id_ = value;
  }
  return true;
}

}  // namespace pop::http_client
