// One change of an agenda as the event stream tells it (docs/observability.md, "Event
// stream"): what kind of change, which agenda (with the facts that decide who may see it and
// which filters it passes), when, and a small JSON object of details. Never a payload, an
// output or a whole progress document: an event's size is bounded whatever the agenda holds.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "util/time_format.h"

namespace pop::service {

enum class EventType {
  kSubmitted,  // stored and waiting (or held: data.held)
  kLeased,     // handed to a puller under a new lease
  kProgress,   // the agenda's percentComplete moved
  kOperation,  // an operation's state or attempt number changed
  kRequeued,   // waiting again after a failed attempt with attempts left
  kCompleted,  // ended: succeeded, failed or cancelled
  kCancelled,  // cancelled on request
  kRerun,      // run again (or held again) on request
  kDeleted,    // deleted with its progress
  kLeaseLost,  // its puller went silent; the lease was taken back and it waits again
};

// Every type with its name on the wire ("agenda.submitted", ...), in declaration order.
inline constexpr std::array<std::pair<EventType, std::string_view>, 10> kEventTypeNames = {{
    {EventType::kSubmitted, "agenda.submitted"},
    {EventType::kLeased, "agenda.leased"},
    {EventType::kProgress, "agenda.progress"},
    {EventType::kOperation, "operation.state"},
    {EventType::kRequeued, "agenda.requeued"},
    {EventType::kCompleted, "agenda.completed"},
    {EventType::kCancelled, "agenda.cancelled"},
    {EventType::kRerun, "agenda.rerun"},
    {EventType::kDeleted, "agenda.deleted"},
    {EventType::kLeaseLost, "lease.lost"},
}};

std::string_view event_type_name(EventType type);
// Nothing for a name that is not in kEventTypeNames.
std::optional<EventType> parse_event_type(std::string_view name);

// Who an agenda belongs to and where it runs: what visibility and filters go by.
struct AgendaIdentity {
  std::string agenda_id;
  std::string customer_id;
  std::string resource_pool_id;  // the pool it was bound to (what access goes by)
  std::string insight_id;
};

struct AgendaEvent {
  EventType type = EventType::kSubmitted;
  AgendaIdentity agenda;
  WallTime time;
  nlohmann::json data = nlohmann::json::object();  // small: names, states, numbers
};

// The event as the stream's data line carries it: {type, time, agendaId, customerId,
// resourcePoolId, insightId, data}.
nlohmann::json event_to_json(const AgendaEvent& event);

}  // namespace pop::service
