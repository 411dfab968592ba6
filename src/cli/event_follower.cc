#include "cli/event_follower.h"

#include <chrono>
#include <thread>

#include "http_client/error_mapping.h"

namespace pop::cli {
namespace {

// The server sends a keep-alive every 15 s by default: a connection silent for much longer
// is dead (a proxy dropped it, or the server host vanished).
constexpr std::chrono::seconds kSilenceLimit{45};
constexpr std::chrono::seconds kReconnectPause{1};

}  // namespace

Result<void> follow_events(const ClientSettings& settings, const std::string& target,
                           const EventHandlers& handlers, int max_reconnects) {
  std::string last_id;
  int failures = 0;
  for (;;) {
    auto client = connect(settings);
    if (!client) return fail(client.error());
    http_client::Request request;
    request.method = "GET";
    request.target = target;
    request.headers["Accept"] = "text/event-stream";
    if (!last_id.empty()) request.headers["Last-Event-ID"] = last_id;
    bool stopped = false;
    bool opened = false;
    bool heard = false;  // an event in the piece being read
    http_client::SseReader reader([&](const http_client::SseEvent& event) {
      heard = true;
      if (handlers.on_event(event)) return true;
      stopped = true;
      return false;
    });
    auto answer =
        client->stream(request,
                       [&](std::string_view chunk) {
                         failures = 0;  // it answers: only drops in a row count
                         if (!opened) {
                           opened = true;
                           if (!handlers.on_open()) {
                             stopped = true;
                             return false;
                           }
                         }
                         heard = false;
                         const bool more = reader.feed(chunk);
                         if (!reader.last_id().empty()) last_id = reader.last_id();
                         if (more && !heard && handlers.on_quiet && !handlers.on_quiet()) {
                           stopped = true;
                           return false;
                         }
                         return more;
                       },
                       {kSilenceLimit});
    if (stopped) return {};
    if (answer && answer->status / 100 != 2) return fail(http_client::error_from_response(*answer));
    if (reader.overflowed())
      return fail(ErrorCode::kInternal, "the event stream sent a line longer than 1 MiB");
    if (++failures > max_reconnects) {
      return fail(answer ? Error{ErrorCode::kUnavailable,
                                 "the event stream ended " + std::to_string(failures) +
                                     " times in a row without an event",
                                 {}}
                         : answer.error());
    }
    std::this_thread::sleep_for(kReconnectPause);
  }
}

}  // namespace pop::cli
