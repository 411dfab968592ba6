#include "service/events/event_filter.h"

namespace pop::service {
namespace {

template <typename Set, typename Value>
bool accepts(const Set& set, const Value& value) {
  return set.empty() || set.contains(value);
}

}  // namespace

bool EventFilter::matches(const AgendaEvent& event) const {
  return accepts(types, event.type) && accepts(agenda_ids, event.agenda.agenda_id) &&
         accepts(customer_ids, event.agenda.customer_id) &&
         accepts(resource_pool_ids, event.agenda.resource_pool_id) &&
         accepts(insight_ids, event.agenda.insight_id);
}

}  // namespace pop::service
