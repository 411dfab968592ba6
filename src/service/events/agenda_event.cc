#include "service/events/agenda_event.h"

#include <algorithm>

namespace pop::service {

std::string_view event_type_name(EventType type) {
  return kEventTypeNames[static_cast<std::size_t>(type)].second;
}

std::optional<EventType> parse_event_type(std::string_view name) {
  const auto found = std::find_if(kEventTypeNames.begin(), kEventTypeNames.end(),
                                  [&](const auto& entry) { return entry.second == name; });
  if (found == kEventTypeNames.end()) return std::nullopt;
  return found->first;
}

nlohmann::json event_to_json(const AgendaEvent& event) {
  return {{"type", event_type_name(event.type)},
          {"time", format_time(event.time)},
          {"agendaId", event.agenda.agenda_id},
          {"customerId", event.agenda.customer_id},
          {"resourcePoolId", event.agenda.resource_pool_id},
          {"insightId", event.agenda.insight_id},
          {"data", event.data}};
}

}  // namespace pop::service
