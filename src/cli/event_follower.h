// Following the server's event stream (GET /v1/events) from the CLI: one connection, and
// after a dropped one a new connection that sends the last event id seen (Last-Event-ID), so
// the server replays what was missed. `pop events` prints what arrives; `pop watch` re-reads
// an agenda's progress when its events arrive.
#pragma once

#include <functional>
#include <string>

#include "cli/client_connection.h"
#include "http_client/sse_reader.h"
#include "util/result.h"

namespace pop::cli {

struct EventHandlers {
  // Each time a connection is established (its first bytes arrived), before its events:
  // what was missed while no connection was open is the stream's to replay, or, after a
  // reset event, the caller's to read again. Returns false to stop following.
  std::function<bool()> on_open;
  // Each event, "reset" included; returns false to stop following.
  std::function<bool(const http_client::SseEvent&)> on_event;
  // Each piece of the stream that held no event (the server's keep-alives, every 15 s by
  // default); empty: nothing. Returns false to stop following.
  std::function<bool()> on_quiet = {};
};

// Follows `target` (e.g. "/v1/events?agenda=ID") until a handler returns false (success).
// Errors: the server's refusal (4xx: a bad filter, an unknown token); kUnavailable when the
// server could not be reached, or the connection dropped, `max_reconnects` times in a row
// without an event or a keep-alive in between.
Result<void> follow_events(const ClientSettings& settings, const std::string& target,
                           const EventHandlers& handlers, int max_reconnects = 5);

}  // namespace pop::cli
