// The event streams over a real HTTP server: a client that stops reading is cut off once its
// unread data passes the server's per-stream buffer, and a client that reads keeps getting
// every event meanwhile, with no reset.
#include "api/event_streams.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "http/server.h"
#include "testing/api_client.h"
#include "testing/event_stream_reader.h"
#include "testing/loopback_socket.h"
#include "testing/subprocess.h"

namespace pop::api {
namespace {

TEST(EventStreamsTest, AClientThatStopsReadingIsCutOffWithoutHoldingUpTheOthers) {
  service::EventJournal journal(100'000);
  EventStreams streams(journal, {});
  http::ServerOptions options;
  options.port = 0;
  options.max_stream_buffer_bytes = 1 << 20;
  http::Server server(options, [&](http::HttpRequest, http::Responder responder) {
    EventStreams::Request request{auth::admin_principal("test"), {}, std::nullopt};
    ASSERT_TRUE(streams.open(std::move(request), responder));
  });
  ASSERT_TRUE(server.start());

  const int silent = pop::testing::open_loopback_socket(server.port());
  ASSERT_GE(silent, 0);
  const int small = 4096;  // its window stays small: the server's buffer is what fills
  setsockopt(silent, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  const std::string request = "GET /v1/events HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_EQ(::send(silent, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  pop::testing::EventStreamReader reader(
      pop::testing::api_client("http://127.0.0.1:" + std::to_string(server.port()), "t"),
      "/v1/events");
  ASSERT_TRUE(reader.wait_open());
  ASSERT_TRUE(pop::testing::eventually([&] { return streams.open_streams() == 2; }));

  // 20 MiB in batches the reader keeps up with; the silent client reads none of it.
  const nlohmann::json filler = {{"filler", std::string(1000, 'x')}};
  std::size_t published = 0;
  for (int batch = 0; batch < 40; ++batch) {
    for (int i = 0; i < 500; ++i, ++published)
      journal.publish({service::EventType::kProgress, {"a", "c", "p", "i"}, WallTime{}, filler});
    ASSERT_TRUE(reader.wait_for([&](const auto& events) { return events.size() == published; }))
        << reader.events().size() << " of " << published;
  }
  EXPECT_TRUE(pop::testing::eventually([&] { return streams.open_streams() == 1; }));
  for (const auto& event : reader.events()) EXPECT_NE(event.type, "reset");
  reader.stop();
  ::close(silent);
  streams.stop();
  server.stop();
}

}  // namespace
}  // namespace pop::api
