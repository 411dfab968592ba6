#include "service/agendas/attempt_logs.h"

#include <algorithm>
#include <utility>

#include "agenda/agenda.h"
#include "agenda/agenda_validator.h"
#include "util/deflate.h"

namespace pop::service {
namespace {

// A retention sweep deletes this many logs per store write, so one write stays short.
constexpr std::size_t kSweepBatch = 500;

// Whether the agenda document has an operation of exactly this name (as its puller names it).
bool has_operation(const Json& agenda, std::string_view name) {
  const Json operations = agenda.value("operations", Json::array());
  return std::any_of(operations.begin(), operations.end(), [name](const Json& operation) {
    return operation.is_object() && operation.value("name", Json()).is_string() &&
           operation["name"].get_ref<const std::string&>() == name;
  });
}

}  // namespace

AttemptLogs::AttemptLogs(AgendaAccess& access, store::Store& store, const Clock& clock,
                         AttemptLogOptions options)
    : access_(access), store_(store), clock_(clock), options_(options) {}

Result<store::AttemptLogState> AttemptLogs::append(const auth::Principal& caller,
                                                   std::string_view agenda_id, std::uint64_t epoch,
                                                   std::string_view lease_key,
                                                   std::string_view operation, int attempt,
                                                   std::uint64_t offset, std::string_view bytes,
                                                   bool ended) {
  // An operation's attempts never exceed its maximumAttempts, which validation bounds: a
  // holder cannot make the store keep more logs than the agenda could produce.
  if (attempt < 1 || attempt > kMaxOperationAttempts)
    return fail(ErrorCode::kInvalidArgument,
                "attempt must be from 1 to " + std::to_string(kMaxOperationAttempts));
  if (operation.empty()) return fail(ErrorCode::kInvalidArgument, "operation name is empty");
  auto held = access_.check_lease(caller, agenda_id, epoch, lease_key);
  if (!held) return fail(held.error());
  if (!has_operation(*held, operation))
    return fail(ErrorCode::kNotFound, "agenda " + std::string(agenda_id) + " has no operation \"" +
                                          std::string(operation) + "\"");
  // Kept is a prefix of the handler's output: what lies before the cap.
  const std::uint64_t room = offset < options_.limit_bytes ? options_.limit_bytes - offset : 0;
  const std::string_view kept = bytes.substr(0, std::min<std::uint64_t>(bytes.size(), room));
  store::AttemptLogAppend chunk{std::string(agenda_id),
                                std::string(operation),
                                attempt,
                                epoch,
                                offset,
                                bytes.size(),
                                kept.empty() ? std::string() : deflate_bytes(kept),
                                kept.size(),
                                ended,
                                clock_.now()};
  auto state = store_.append_attempt_log(chunk);
  if (!state) return state;
  if (state->length == offset + bytes.size() && (!bytes.empty() || ended)) {
    std::lock_guard lock(listener_mutex_);
    if (listener_) listener_({chunk.agenda_id, chunk.operation, attempt});
  }
  return state;
}

Result<AttemptLogTarget> AttemptLogs::find(const auth::Principal& caller,
                                           std::string_view agenda_id, std::string_view operation,
                                           std::optional<int> attempt) {
  auto agenda = access_.agenda(caller, agenda_id);
  if (!agenda) return fail(agenda.error());
  std::string spelled;
  const Json operations = agenda->value("operations", Json::array());
  for (const auto& item : operations) {
    if (!item.is_object() || !item.value("name", Json()).is_string()) continue;
    const std::string name = item["name"].get<std::string>();
    if (fold_name(name) == fold_name(operation)) {
      spelled = name;
      break;
    }
  }
  const std::string agenda_name = "agenda " + std::string(agenda_id);
  if (spelled.empty()) {
    return fail(ErrorCode::kNotFound,
                agenda_name + " has no operation \"" + std::string(operation) + "\"");
  }
  auto attempts = store_.list_attempt_logs(agenda_id, spelled);
  if (!attempts) return fail(attempts.error());
  const std::string where = "operation \"" + spelled + "\" of " + agenda_name;
  if (attempts->empty())
    return fail(ErrorCode::kNotFound,
                where + " has no stored log (an attempt that wrote nothing keeps none)");
  if (!attempt) return AttemptLogTarget{std::string(agenda_id), spelled, attempts->back().attempt};
  const bool stored = std::any_of(attempts->begin(), attempts->end(),
                                  [&](const auto& state) { return state.attempt == *attempt; });
  if (!stored) {
    return fail(ErrorCode::kNotFound, where + " has no stored log of attempt " +
                                          std::to_string(*attempt) +
                                          " (an attempt that wrote nothing keeps none)");
  }
  return AttemptLogTarget{std::string(agenda_id), spelled, *attempt};
}

Result<store::AttemptLogState> AttemptLogs::state(const AttemptLogTarget& target) {
  auto attempts = store_.list_attempt_logs(target.agenda_id, target.operation);
  if (!attempts) return fail(attempts.error());
  for (const auto& state : *attempts)
    if (state.attempt == target.attempt) return state;
  return fail(ErrorCode::kNotFound, "the log of attempt " + std::to_string(target.attempt) +
                                        " of operation \"" + target.operation + "\" was deleted");
}

Result<AttemptLogText> AttemptLogs::read(const AttemptLogTarget& target, std::uint64_t from_offset,
                                         std::size_t max_chunks) {
  auto chunks = store_.read_attempt_log(target.agenda_id, target.operation, target.attempt,
                                        from_offset, max_chunks);
  if (!chunks) return fail(chunks.error());
  AttemptLogText read{"", from_offset};
  for (const auto& chunk : *chunks) {
    auto text = inflate_bytes(chunk.compressed, chunk.kept_bytes);
    if (!text || text->size() != chunk.kept_bytes) {
      return fail(ErrorCode::kInternal, "a stored chunk of the log of operation \"" +
                                            target.operation + "\" of agenda " + target.agenda_id +
                                            " cannot be inflated");
    }
    read.text += *text;
    read.next_offset = chunk.offset + chunk.kept_bytes;
  }
  return read;
}

Result<std::size_t> AttemptLogs::sweep() {
  if (options_.retention.count() == 0) return std::size_t{0};
  const WallTime cutoff = clock_.now() - options_.retention;
  std::size_t total = 0;
  for (;;) {
    auto deleted = store_.delete_attempt_logs_before(cutoff, kSweepBatch);
    if (!deleted) return fail(deleted.error());
    total += *deleted;
    if (*deleted < kSweepBatch) return total;
  }
}

void AttemptLogs::on_appended(std::function<void(const AttemptLogTarget&)> listener) {
  std::lock_guard lock(listener_mutex_);
  listener_ = std::move(listener);
}

std::string truncation_marker(const store::AttemptLogState& state, char kept_text_end) {
  if (state.length <= state.kept_bytes) return "";
  return std::string(kept_text_end == '\n' ? "" : "\n") + "[pop: log truncated after " +
         std::to_string(state.kept_bytes) + " bytes]\n";
}

}  // namespace pop::service
