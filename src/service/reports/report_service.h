// The server side of the operation report endpoint (docs/handler-contract.md): handlers
// post progress and output with a per-attempt token (report_token.h); the puller that runs
// them reads both back under its lease and merges them into the agenda's progress.
//
// Outputs are durable before a report is acknowledged: each is a reported_output document
// in the store, so it survives a server restart and is found by any replica. Progress
// (percent, message) is kept in memory only: it is superseded by the next report anyway,
// a handler reports it far more often than the store should be written, and losing it in
// a crash loses nothing that the handler's next report does not restore. The price is that
// with several replicas a puller sees only the progress posted to the replica it asks.
//
// Thread-safety: every member may be called concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "model/report_token.h"
#include "model/reported_progress.h"
#include "service/reports/report_request.h"
#include "store/store.h"
#include "util/clock.h"

namespace pop::service {

using Json = nlohmann::json;

class ReportService {
 public:
  // Borrows the store, which must outlive the service; `secret` from report_secret.h.
  ReportService(store::Store& store, std::string secret, const Clock& clock);

  // The key a puller mints the tokens of this lease with (raw bytes; see report_token.h).
  std::string lease_key(std::string_view agenda_id, std::uint64_t epoch) const;
  // Whether `presented` (raw bytes) is that key: the proof that the caller holds the lease
  // (AgendaAccess). Constant-time in the comparison.
  bool is_lease_key(std::string_view agenda_id, std::uint64_t epoch,
                    std::string_view presented) const;
  // The claims of a token this server's secret vouches for; nullopt otherwise.
  std::optional<ReportClaims> verify(std::string_view token) const;

  // Takes one report of the attempt `claims` names. The output, when there is one, is
  // stored durably before this returns (a second output for the same attempt replaces the
  // first). kConflict when the claimed lease is no longer held (released, reclaimed,
  // revoked, or the agenda is gone): nothing is stored. kUnavailable when the store
  // refuses, or replicas kept replacing the same output: nothing is acknowledged.
  Result<void> accept(const ReportClaims& claims, const HandlerReport& report);

  // For the lease's holder: the attempts whose progress changed after `after` (0: all).
  // kConflict when the lease is no longer held, kNotFound for an unknown agenda.
  Result<ReportedProgress> progress_since(std::string_view agenda_id, std::uint64_t epoch,
                                          std::uint64_t after);

  // For the lease's holder: the output the attempt reported, or nullopt when it reported
  // none. Errors as for progress_since().
  Result<std::optional<nlohmann::json>> output(std::string_view agenda_id, std::uint64_t epoch,
                                               std::string_view operation, int attempt);

  // Forgets what was reported under leases that are no longer held: their outputs (the
  // puller took them into the agenda's progress, or never will) and their progress.
  // Returns how many outputs were deleted. Cost: one lease read per stored output and per
  // agenda with progress in memory; meant for a timer, not for request paths.
  Result<std::size_t> sweep();

 private:
  struct Progress {
    std::optional<double> percent_complete;
    std::optional<std::string> message;
    std::uint64_t sequence = 0;  // when it last changed
  };
  struct LeaseProgress {
    std::uint64_t epoch = 0;
    std::map<std::pair<std::string, int>, Progress> attempts;  // by operation and attempt
  };

  // kConflict unless the lease with `epoch` is held; kNotFound for an unknown agenda.
  Result<void> check_lease(std::string_view agenda_id, std::uint64_t epoch);
  Result<void> store_output(const ReportClaims& claims, const nlohmann::json& output);
  void record_progress(const ReportClaims& claims, const HandlerReport& report);

  store::Store& store_;
  const std::string secret_;
  const Clock& clock_;

  std::array<std::mutex, 64> output_turns_;  // striped by output document id

  std::mutex mutex_;
  std::uint64_t sequence_ = 0;                               // GUARDED_BY(mutex_)
  std::unordered_map<std::string, LeaseProgress> progress_;  // GUARDED_BY(mutex_)
};

}  // namespace pop::service
