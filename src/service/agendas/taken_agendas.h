// The agendas one pull took from their ready queues (InsightQueues::take), held until the
// pull knows which of them it hands out. Every one not kept out (leased, or gone) goes back
// into its queue, at the place it was taken from, when the holder ends: also when an
// exception ends the pull, so that no agenda stays stored as waiting but queued nowhere,
// handed to no puller until the server restarts.
//
// Thread-safety: none; one pull's thread.
#pragma once

#include <cstddef>
#include <vector>

#include "scheduler/queues/insight_queues.h"
#include "util/logger.h"

namespace pop::service {

class TakenAgendas {
 public:
  // Borrows `queues` and `logger`, which must outlive this.
  TakenAgendas(scheduler::InsightQueues& queues, std::vector<scheduler::ReadyAgenda> taken,
               Logger& logger);
  TakenAgendas(const TakenAgendas&) = delete;
  TakenAgendas& operator=(const TakenAgendas&) = delete;

  // Puts back every agenda not kept out, in the reverse order of the take so that each queue
  // is as it was; one that cannot go back (its insight was removed, it is queued again
  // already) is logged, naming it and why. Then tells the queues' listener of the insights
  // that lost agendas for good, whose queues refilled behind them (announce_ready).
  ~TakenAgendas();

  std::size_t size() const { return taken_.size(); }
  const scheduler::ReadyAgenda& operator[](std::size_t index) const { return taken_[index]; }

  // The agenda stays out of the queues: it was leased, or it is gone (deleted, no longer
  // waiting, leased by someone else meanwhile).
  void keep_out(std::size_t index) { fates_[index] = Fate::kOut; }
  // It goes back, but no puller may take it before a running agenda ends
  // (InsightQueues::put_back's until_capacity).
  void back_until_capacity(std::size_t index) { fates_[index] = Fate::kBackUntilCapacity; }

 private:
  enum class Fate { kBack, kBackUntilCapacity, kOut };

  void put_back(std::size_t index) noexcept;
  void log_failure(const char* what, const std::string& agenda_id,
                   const char* error) const noexcept;

  scheduler::InsightQueues& queues_;
  std::vector<scheduler::ReadyAgenda> taken_;
  std::vector<Fate> fates_;  // by index into taken_; kBack until told otherwise
  Logger& logger_;
};

}  // namespace pop::service
