// Every handler attempt's output, as the server keeps it: shipped in chunks by the puller
// that holds the agenda's lease (under the lease's key, as its reports are), compressed into
// the store up to a cap per attempt, read by whoever may read the agenda, and deleted with
// the agenda or once older than the retention. docs/observability.md, "Attempt logs".
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/principal.h"
#include "service/agendas/agenda_access.h"
#include "store/store.h"
#include "util/clock.h"

namespace pop::service {

struct AttemptLogOptions {
  // Handler bytes kept per attempt; what follows is counted, not kept, and a reader sees a
  // marker in its place. `pop server --attempt-log-limit-bytes`.
  std::uint64_t limit_bytes = std::uint64_t{8} << 20;
  // Logs last written longer ago than this are deleted by sweep(); zero: kept until their
  // agenda is deleted. `pop server --attempt-log-retention-hours`.
  std::chrono::hours retention{24 * 7};
};

// One attempt's log, as a reader names it once it is found.
struct AttemptLogTarget {
  std::string agenda_id;
  std::string operation;  // as the agenda spells it
  int attempt = 1;
};

// A piece of a log read from the store.
struct AttemptLogText {
  std::string text;
  std::uint64_t next_offset = 0;  // where the next read starts
};

class AttemptLogs {
 public:
  // Borrows all three; they must outlive this object.
  AttemptLogs(AgendaAccess& access, store::Store& store, const Clock& clock,
              AttemptLogOptions options);

  const AttemptLogOptions& options() const { return options_; }

  // A chunk of the attempt's output starting at handler byte `offset`, from the lease's holder
  // (AgendaAccess::check_lease). Stored when it starts where the stored log ends; a retry, or
  // a chunk past the end, changes nothing. Returns where the log stands, so the holder goes
  // on from its length. kConflict: the lease is not held with `epoch` (or the key is not its
  // own); kInvalidArgument: an attempt below 1 or an empty operation name.
  Result<store::AttemptLogState> append(const auth::Principal& caller, std::string_view agenda_id,
                                        std::uint64_t epoch, std::string_view lease_key,
                                        std::string_view operation, int attempt,
                                        std::uint64_t offset, std::string_view bytes, bool ended);

  // The log a reader asks for: the operation (named case-insensitively) of an agenda the
  // caller may read, and the attempt (the latest stored when unset). kNotFound names what is
  // missing: the agenda (also when the caller may not read it), the operation, or a log of
  // that attempt.
  Result<AttemptLogTarget> find(const auth::Principal& caller, std::string_view agenda_id,
                                std::string_view operation, std::optional<int> attempt);
  // Where the log stands now. kNotFound: it was deleted meanwhile.
  Result<store::AttemptLogState> state(const AttemptLogTarget& target);
  // Kept text from `from_offset` on, at most `max_chunks` stored chunks of it. kInternal: a
  // stored chunk that cannot be inflated.
  Result<AttemptLogText> read(const AttemptLogTarget& target, std::uint64_t from_offset,
                              std::size_t max_chunks);

  // Deletes the logs older than the retention, a batch at a time. Returns how many.
  Result<std::size_t> sweep();

  // Calls `listener` (from the appending thread, so it must be quick) after each append that
  // stored something or ended a log. One listener; a later call replaces it.
  void on_appended(std::function<void(const AttemptLogTarget&)> listener);

 private:
  AgendaAccess& access_;
  store::Store& store_;
  const Clock& clock_;
  const AttemptLogOptions options_;
  std::mutex listener_mutex_;
  std::function<void(const AttemptLogTarget&)> listener_;  // GUARDED_BY(listener_mutex_)
};

// What a reader sees after the kept text of a log cut at the cap: a line saying so (the words
// of the puller's own cap, runner/log_sink.h), on a line of its own after `kept_text_end`, the
// last byte of the kept text. Empty when nothing was cut.
std::string truncation_marker(const store::AttemptLogState& state, char kept_text_end);

}  // namespace pop::service
