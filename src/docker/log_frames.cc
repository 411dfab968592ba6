#include "docker/log_frames.h"

#include <algorithm>
#include <cstdint>

namespace pop::docker {
namespace {
constexpr std::size_t kHeaderBytes = 8;
}

void LogFrameDecoder::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    if (payload_left_ > 0) {
      const std::size_t take = std::min(payload_left_, bytes.size());
      on_payload_(bytes.substr(0, take));
      payload_left_ -= take;
      bytes.remove_prefix(take);
      continue;
    }
    const std::size_t take = std::min(kHeaderBytes - header_.size(), bytes.size());
    header_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (header_.size() < kHeaderBytes) return;
    payload_left_ = 0;
    for (std::size_t i = 4; i < kHeaderBytes; ++i)
      payload_left_ = payload_left_ << 8 | static_cast<std::uint8_t>(header_[i]);
    header_.clear();
  }
}

}  // namespace pop::docker
