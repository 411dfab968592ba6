#include "http_client/sse_reader.h"

#include <gtest/gtest.h>

#include <vector>

namespace pop::http_client {
namespace {

TEST(SseReaderTest, ReadsEventsAcrossChunksAndKeepsTheLastId) {
  std::vector<SseEvent> events;
  SseReader reader([&](const SseEvent& event) {
    events.push_back(event);
    return true;
  });
  const std::string stream =
      "retry: 2000\nid: j-0\n\n: keep-alive\r\nid: j-1\nevent: agenda.submitted\ndata: {\"a\":\n"
      "data: 1}\n\nid: j-5\n\ndata: plain\n\n";
  for (char c : stream) reader.feed(std::string_view(&c, 1));  // the worst split there is
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].id, "j-1");
  EXPECT_EQ(events[0].type, "agenda.submitted");
  EXPECT_EQ(events[0].data, "{\"a\":\n1}");
  // An id-only block moved the id without an event.
  EXPECT_EQ(events[1].id, "j-5");
  EXPECT_EQ(events[1].type, "message");
  EXPECT_EQ(reader.last_id(), "j-5");
}

TEST(SseReaderTest, StopsWhenTheHandlerSaysSo) {
  int seen = 0;
  SseReader reader([&](const SseEvent&) { return ++seen < 1; });
  EXPECT_FALSE(reader.feed("data: a\n\ndata: b\n\n"));
  EXPECT_EQ(seen, 1);
}

}  // namespace
}  // namespace pop::http_client
