#include "service/agendas/taken_agendas.h"

#include <exception>
#include <set>
#include <string>
#include <utility>

namespace pop::service {

TakenAgendas::TakenAgendas(scheduler::InsightQueues& queues,
                           std::vector<scheduler::ReadyAgenda> taken, Logger& logger)
    : queues_(queues),
      taken_(std::move(taken)),
      fates_(taken_.size(), Fate::kBack),
      logger_(logger) {}

TakenAgendas::~TakenAgendas() {
  for (std::size_t index = taken_.size(); index-- > 0;) {
    if (fates_[index] != Fate::kOut) put_back(index);
  }
  try {
    std::set<std::string> drained;
    for (std::size_t index = 0; index < taken_.size(); ++index) {
      if (fates_[index] == Fate::kOut) drained.insert(taken_[index].insight_id);
    }
    queues_.announce_ready(drained);
  } catch (const std::exception& error) {
    // Out of memory: pullers miss a wake-up, and find the refilled agendas at their next poll.
    log_failure("pullers not told of refilled queues", "", error.what());
  }
}

void TakenAgendas::put_back(std::size_t index) noexcept {
  // Still stored as waiting, whatever fails here: the next start queues it again
  // (AgendaService::start).
  constexpr char kNotBack[] = "agenda taken by a pull but not put back in its queue";
  std::string id;  // for the message: put_back() moves the agenda away
  try {
    id = taken_[index].agenda.agenda_id;
    auto back =
        queues_.put_back(std::move(taken_[index]), fates_[index] == Fate::kBackUntilCapacity);
    if (!back) log_failure(kNotBack, id, back.error().message.c_str());
  } catch (const std::exception& error) {
    log_failure(kNotBack, id, error.what());
  }
}

void TakenAgendas::log_failure(const char* what, const std::string& agenda_id,
                               const char* error) const noexcept {
  try {
    logger_.error(what, {{"agenda", agenda_id}, {"error", error}});
  } catch (...) {
    // Out of memory for the event itself: nothing more can be said.
  }
}

}  // namespace pop::service
