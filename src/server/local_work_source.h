// The WorkSource of the puller embedded in `pop server`: the agenda service itself, with
// the long poll served by its pool's ready signal instead of HTTP. It acts as a puller principal
// of its pool, held to the same access rules as a standalone puller.
#pragma once

#include <atomic>
#include <string>

#include "auth/principal.h"
#include "puller/work_source.h"
#include "server/ready_signal.h"
#include "service/agendas/agenda_access.h"
#include "service/agendas/attempt_logs.h"
#include "service/reports/report_service.h"
#include "util/clock.h"

namespace pop::server {

class LocalWorkSource final : public puller::WorkSource {
 public:
  // Borrows the services, signal and clock; all must outlive this source. `puller` names the
  // pool; `clock` times the long poll.
  LocalWorkSource(service::AgendaAccess& agendas, server::ReadySignal& signal,
                  service::ReportService& reports, service::AttemptLogs& logs,
                  auth::Principal puller, std::string puller_id, const Clock& clock);

  Result<PullAnswer> pull(std::size_t max, std::chrono::milliseconds wait,
                          const std::optional<Resources>& available,
                          const std::set<std::string>& skip_insight_ids) override;
  Result<void> report(const std::string& agenda_id, std::uint64_t epoch,
                      const std::string& lease_key, const Json& progress) override;
  Result<void> complete(const std::string& agenda_id, std::uint64_t epoch,
                        const std::string& lease_key, const Json& progress) override;
  Result<ReportedProgress> reported_progress(const std::string& agenda_id, std::uint64_t epoch,
                                             std::uint64_t after) override;
  Result<std::optional<Json>> reported_output(const std::string& agenda_id, std::uint64_t epoch,
                                              const std::string& operation, int attempt) override;
  Result<puller::LogChunkAnswer> append_log(const std::string& agenda_id, std::uint64_t epoch,
                                            const std::string& lease_key,
                                            const puller::LogChunk& chunk) override;
  void wake() override;

 private:
  service::AgendaAccess& agendas_;
  server::ReadySignal& signal_;
  service::ReportService& reports_;
  service::AttemptLogs& logs_;
  auth::Principal puller_;
  std::string puller_id_;
  const Clock& clock_;
  std::atomic<bool> woken_{false};
};

}  // namespace pop::server
