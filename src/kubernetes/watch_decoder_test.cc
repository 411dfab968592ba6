#include "kubernetes/watch_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kubernetes/kube_status.h"

namespace pop::kubernetes {
namespace {

struct Seen {
  WatchEvent::Type type;
  std::string name;
  std::string resource_version;
};

std::string event(const std::string& type, const std::string& name, const std::string& version) {
  return R"({"type":")" + type + R"(","object":{"kind":"Pod","metadata":{"name":")" + name +
         R"(","resourceVersion":")" + version + R"("}}})" + "\n";
}

class Recorder {
 public:
  WatchDecoder decoder{[this](WatchEvent e) {
    seen.push_back({e.type, e.object["metadata"].value("name", ""),
                    e.object["metadata"].value("resourceVersion", "")});
    return true;
  }};
  std::vector<Seen> seen;
};

TEST(WatchDecoder, DecodesEventsCutAtEveryPossibleBoundary) {
  const std::string body = event("ADDED", "a", "1") + event("MODIFIED", "a", "2") +
                           event("BOOKMARK", "", "3") + event("DELETED", "a", "4");
  // Every split of the body into two chunks, and byte by byte.
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    Recorder recorder;
    ASSERT_TRUE(recorder.decoder.feed(body.substr(0, cut)));
    ASSERT_TRUE(recorder.decoder.feed(body.substr(cut)));
    ASSERT_TRUE(recorder.decoder.finish());
    ASSERT_EQ(recorder.seen.size(), 4u) << "cut at " << cut;
    EXPECT_EQ(recorder.seen[0].type, WatchEvent::Type::kAdded);
    EXPECT_EQ(recorder.seen[1].type, WatchEvent::Type::kModified);
    EXPECT_EQ(recorder.seen[2].type, WatchEvent::Type::kBookmark);
    EXPECT_EQ(recorder.seen[3].type, WatchEvent::Type::kDeleted);
    EXPECT_EQ(recorder.seen[3].resource_version, "4");
  }
  Recorder bytewise;
  for (char c : body) ASSERT_TRUE(bytewise.decoder.feed(std::string_view(&c, 1)));
  EXPECT_EQ(bytewise.seen.size(), 4u);
}

TEST(WatchDecoder, ALastLineWithoutNewlineCountsAtTheEnd) {
  Recorder recorder;
  std::string line = event("ADDED", "a", "7");
  line.pop_back();
  ASSERT_TRUE(recorder.decoder.feed(line));
  EXPECT_TRUE(recorder.seen.empty());
  ASSERT_TRUE(recorder.decoder.finish());
  ASSERT_EQ(recorder.seen.size(), 1u);
  EXPECT_EQ(recorder.seen[0].resource_version, "7");
}

TEST(WatchDecoder, An410ErrorEventIsExpired) {
  Recorder recorder;
  const std::string error_event =
      R"j({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure",)j"
      R"j("message":"too old resource version: 1 (5)","reason":"Expired","code":410}})j";
  const std::string body = event("ADDED", "a", "1") + error_event + "\n" + event("ADDED", "b", "2");
  EXPECT_FALSE(recorder.decoder.feed(body));
  ASSERT_EQ(recorder.seen.size(), 1u);  // nothing after the error
  ASSERT_TRUE(recorder.decoder.failure());
  EXPECT_TRUE(is_expired(*recorder.decoder.failure()));
  EXPECT_EQ(recorder.decoder.failure()->message, "too old resource version: 1 (5)");
}

TEST(WatchDecoder, OtherErrorEventsAreNotExpired) {
  Recorder recorder;
  EXPECT_FALSE(recorder.decoder.feed(
      R"({"type":"ERROR","object":{"kind":"Status","message":"etcd down","reason":"InternalError","code":500}})"
      "\n"));
  ASSERT_TRUE(recorder.decoder.failure());
  EXPECT_FALSE(is_expired(*recorder.decoder.failure()));
  EXPECT_EQ(recorder.decoder.failure()->code, ErrorCode::kUnavailable);
}

TEST(WatchDecoder, GarbageEndsTheStream) {
  Recorder recorder;
  EXPECT_FALSE(recorder.decoder.feed("<html>proxy error</html>\n"));
  ASSERT_TRUE(recorder.decoder.failure());
  EXPECT_NE(recorder.decoder.failure()->message.find("not an event: <html>"), std::string::npos);
}

TEST(WatchDecoder, UnknownTypesAndBlankLinesAreSkipped) {
  Recorder recorder;
  ASSERT_TRUE(recorder.decoder.feed("\n" + event("FUTURE", "x", "1") + event("ADDED", "a", "2")));
  ASSERT_EQ(recorder.seen.size(), 1u);
  EXPECT_EQ(recorder.seen[0].name, "a");
}

TEST(WatchDecoder, TheCallbackCanStopTheWatch) {
  int calls = 0;
  WatchDecoder decoder([&](WatchEvent) { return ++calls < 2; });
  EXPECT_FALSE(
      decoder.feed(event("ADDED", "a", "1") + event("ADDED", "b", "2") + event("ADDED", "c", "3")));
  EXPECT_EQ(calls, 2);
  EXPECT_FALSE(decoder.failure());
}

}  // namespace
}  // namespace pop::kubernetes
