// Which events a stream client asked for (GET /v1/events?agenda=&customer=&pool=&insight=
// &type=): each field lists the values it accepts, any of them; an empty field accepts
// everything. What the client may see at all is the access rule's question, not this one.
#pragma once

#include <set>
#include <string>

#include "service/events/agenda_event.h"

namespace pop::service {

struct EventFilter {
  std::set<std::string, std::less<>> agenda_ids;
  std::set<std::string, std::less<>> customer_ids;
  std::set<std::string, std::less<>> resource_pool_ids;
  std::set<std::string, std::less<>> insight_ids;
  std::set<EventType> types;

  bool matches(const AgendaEvent& event) const;
};

}  // namespace pop::service
