// The body of a Kubernetes watch: one JSON event per line, {"type": "ADDED", "object":
// {...}}, cut by the server and the network into chunks anywhere.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "http_client/line_splitter.h"
#include "util/result.h"

namespace pop::kubernetes {

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark };
  Type type = Type::kAdded;
  nlohmann::json object{};  // the Pod; for a bookmark only its metadata.resourceVersion
};

// Not synchronised: fed by the thread that runs the stream.
class WatchDecoder {
 public:
  // `on_event` gets each event in order and returns false to stop the watch.
  explicit WatchDecoder(std::function<bool(WatchEvent)> on_event);

  // Decodes every complete line of `chunk`. Returns false once the watch should end: the
  // callback asked to stop, or failure() is set. Fits a ChunkHandler.
  bool feed(std::string_view chunk);
  // Decodes a last line without a newline; call at the end of the stream.
  bool finish();

  // Why the stream cannot go on: an ERROR event (its Status as an error; 410 Gone/Expired is
  // recognised by is_expired()), a line that is not an event, or an over-long line.
  const std::optional<Error>& failure() const { return failure_; }

 private:
  bool on_line(std::string_view line);

  std::function<bool(WatchEvent)> on_event_;
  http_client::LineSplitter splitter_;
  std::optional<Error> failure_;
};

}  // namespace pop::kubernetes
