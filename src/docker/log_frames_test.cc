#include "docker/log_frames.h"

#include <gtest/gtest.h>

namespace pop::docker {
namespace {

std::string frame(char stream, std::string_view payload) {
  std::string header = {stream, 0, 0, 0};
  const auto size = static_cast<std::uint32_t>(payload.size());
  for (int shift = 24; shift >= 0; shift -= 8) header.push_back(static_cast<char>(size >> shift));
  return header + std::string(payload);
}

TEST(LogFrameDecoder, JoinsPayloadsOfBothStreamsInOrder) {
  const std::string stream =
      frame(1, "hello\n") + frame(2, "oops\n") + frame(1, "") + frame(1, std::string(70000, 'x'));
  std::string whole;
  LogFrameDecoder decoder([&](std::string_view payload) { whole.append(payload); });
  decoder.feed(stream);
  EXPECT_EQ(whole, "hello\noops\n" + std::string(70000, 'x'));
}

TEST(LogFrameDecoder, SurvivesEverySplitPoint) {
  const std::string stream = frame(1, "first line\n") + frame(2, "second\n");
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    std::string whole;
    LogFrameDecoder decoder([&](std::string_view payload) { whole.append(payload); });
    decoder.feed(std::string_view(stream).substr(0, cut));
    decoder.feed(std::string_view(stream).substr(cut));
    EXPECT_EQ(whole, "first line\nsecond\n") << "cut at " << cut;
  }
}

}  // namespace
}  // namespace pop::docker
