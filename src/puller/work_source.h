// Where a puller gets agendas from and reports to: the server's API over HTTP for a
// standalone puller, or the agenda service directly for the one embedded in `pop server`.
// The agent depends only on this interface.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agenda/declared_resources.h"
#include "model/assignment.h"
#include "model/reported_progress.h"
#include "util/result.h"

namespace pop::puller {

using Json = nlohmann::json;

// A piece of one attempt's output (the handler's bytes from `offset` on), shipped under the
// lease (WorkSource::append_log).
struct LogChunk {
  std::string operation;
  int attempt = 1;
  std::uint64_t offset = 0;
  std::string_view bytes;
  bool ended = false;  // the attempt is over and this is the last of its output
};

// Where the server's copy of the attempt's log stands after a chunk.
struct LogChunkAnswer {
  std::uint64_t length = 0;  // handler bytes it holds: the next chunk starts there
  bool capped = false;       // past the cap: it keeps no more of this attempt's bytes
};

class WorkSource {
 public:
  virtual ~WorkSource() = default;
  // Up to `max` agendas, waiting up to `wait` for one to become ready (a long poll). With
  // `available` set, only agendas whose declared resources fit into it; none of the
  // insights in `skip_insight_ids` (those at their execution limit on this puller).
  // No assignments is normal; errors are kUnavailable (server unreachable) and the like.
  virtual Result<PullAnswer> pull(std::size_t max, std::chrono::milliseconds wait,
                                  const std::optional<Resources>& available,
                                  const std::set<std::string>& skip_insight_ids) = 0;
  // A progress report, which also renews the lease; `lease_key` is the assignment's
  // report_key, the proof of holding the lease. kConflict: the lease was lost (or the key is
  // not its own); the agent must stop the agenda without reporting again.
  virtual Result<void> report(const std::string& agenda_id, std::uint64_t epoch,
                              const std::string& lease_key, const Json& progress) = 0;
  // The final progress (COMPLETE). kConflict as for report().
  virtual Result<void> complete(const std::string& agenda_id, std::uint64_t epoch,
                                const std::string& lease_key, const Json& progress) = 0;
  // What the lease's handlers reported through the report endpoint since `after` (0: all;
  // else the cursor of an earlier answer). kConflict / kNotFound as for report().
  virtual Result<ReportedProgress> reported_progress(const std::string& agenda_id,
                                                     std::uint64_t epoch, std::uint64_t after) = 0;
  // The output one attempt reported, or nullopt when it reported none. Errors as above.
  virtual Result<std::optional<Json>> reported_output(const std::string& agenda_id,
                                                      std::uint64_t epoch,
                                                      const std::string& operation,
                                                      int attempt) = 0;
  // Stores a chunk of an attempt's log unless the server holds it already (a retry), and says
  // where the server's copy stands. kConflict / kNotFound as for report().
  virtual Result<LogChunkAnswer> append_log(const std::string& agenda_id, std::uint64_t epoch,
                                            const std::string& lease_key,
                                            const LogChunk& chunk) = 0;
  // Makes a pull() in progress, or the next one, return early (for shutdown). Thread-safe.
  virtual void wake() = 0;
};

}  // namespace pop::puller
