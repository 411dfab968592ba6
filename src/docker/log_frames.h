// Undoes the framing of a container's log stream. Without a TTY the Docker engine sends
// stdout and stderr interleaved, each write preceded by an 8-byte header: the stream
// (0 stdin, 1 stdout, 2 stderr), three zero bytes, and the payload size, big-endian.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace pop::docker {

class LogFrameDecoder {
 public:
  explicit LogFrameDecoder(std::function<void(std::string_view)> on_payload)
      : on_payload_(std::move(on_payload)) {}

  // Feeds the next bytes of the stream; headers and payloads may be split anywhere.
  void feed(std::string_view bytes);

 private:
  std::function<void(std::string_view)> on_payload_;
  std::string header_;            // a header read in part
  std::size_t payload_left_ = 0;  // bytes of the current frame's payload still to come
};

}  // namespace pop::docker
