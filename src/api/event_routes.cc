#include "api/event_routes.h"

#include "access/access_policy.h"
#include "api/api_error.h"
#include "api/authentication_gate.h"
#include "api/page_request.h"

namespace pop::api {
namespace {

// A filter may list this many values in all (repeated or comma-separated): enough for a
// dashboard of agendas, bounded for the server that checks each event against them.
constexpr std::size_t kMaxFilterValues = 1000;
constexpr std::size_t kMaxValueBytes = 256;
constexpr const char* kParameters = "agenda, customer, pool, insight, type, lastEventId";

// Adds each comma-separated value of `text` to `into`.
template <typename Add>
Result<void> split_values(std::string_view name, std::string_view text, std::size_t& count,
                          const Add& add) {
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view value = text.substr(0, comma);
    if (value.empty() || value.size() > kMaxValueBytes)
      return fail(ErrorCode::kInvalidArgument,
                  std::string(name) + " must list non-empty values of at most " +
                      std::to_string(kMaxValueBytes) + " bytes, separated by commas");
    if (++count > kMaxFilterValues)
      return fail(
          ErrorCode::kInvalidArgument,
          "the filters may name at most " + std::to_string(kMaxFilterValues) + " values in all");
    if (auto added = add(value); !added) return added;
    if (comma == std::string_view::npos) return {};
    text.remove_prefix(comma + 1);
  }
}

Result<EventStreams::Request> stream_request(const http::HttpRequest& request) {
  EventStreams::Request out;
  out.caller = caller_of(request);
  std::optional<std::string_view> last_seen = request.header("Last-Event-ID");
  std::size_t count = 0;
  service::EventFilter& filter = out.filter;
  for (const auto& [name, value] : request.query.params()) {
    auto into = [&](std::set<std::string, std::less<>>& set) {
      return split_values(name, value, count, [&](std::string_view one) -> Result<void> {
        set.emplace(one);
        return {};
      });
    };
    Result<void> read;
    if (name == "agenda") {
      read = into(filter.agenda_ids);
    } else if (name == "customer") {
      read = into(filter.customer_ids);
    } else if (name == "pool") {
      read = into(filter.resource_pool_ids);
    } else if (name == "insight") {
      read = into(filter.insight_ids);
    } else if (name == "type") {
      read = split_values(name, value, count, [&](std::string_view one) -> Result<void> {
        auto type = service::parse_event_type(one);
        if (!type) {
          std::string known;
          for (const auto& [ignored, type_name] : service::kEventTypeNames)
            known += (known.empty() ? "" : ", ") + std::string(type_name);
          return fail(ErrorCode::kInvalidArgument,
                      "type \"" + std::string(one.substr(0, kMaxValueBytes)) +
                          "\" is not an event type; the types are " + known);
        }
        filter.types.insert(*type);
        return {};
      });
    } else if (name == "lastEventId") {
      if (!last_seen) last_seen = value;  // the header wins: it is the newer, on a reconnect
    } else {
      return fail(unknown_query_parameter(name, kParameters));
    }
    if (!read) return fail(read.error());
  }
  if (last_seen) {
    auto position = service::parse_event_position(*last_seen);
    if (!position) return fail(position.error());
    out.last_seen = std::move(*position);
  }
  return out;
}

}  // namespace

Result<void> add_event_routes(http::Router& router, EventStreams* streams) {
  return router.add_async(
      "GET", "/v1/events", [streams](http::HttpRequest request, http::Responder responder) {
        auto allowed = access::check_follow_events(caller_of(request));
        if (allowed && streams == nullptr)
          allowed =
              fail(ErrorCode::kNotFound,
                   "this server keeps no event stream (it was started with --event-window 0)");
        auto stream = allowed ? stream_request(request) : fail(allowed.error());
        auto opened = stream ? streams->open(std::move(*stream), responder) : fail(stream.error());
        if (!opened) responder.send(api_error(opened.error(), request));
      });
}

}  // namespace pop::api
