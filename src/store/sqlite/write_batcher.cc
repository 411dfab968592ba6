#include "store/sqlite/write_batcher.h"

#include <exception>
#include <string>
#include <utility>

#include "store/sqlite/sqlite_transaction.h"

namespace pop::store::sqlite {

namespace {

Result<void> run_in_savepoint(Connection& connection, const WriteBatcher::Work& work) {
  auto savepoint = Savepoint::begin(connection);
  if (!savepoint) return fail(std::move(savepoint.error()));
  Result<void> result;
  try {
    result = work(connection);
  } catch (const std::exception& e) {  // nothing may escape the writer thread
    result = fail(ErrorCode::kInternal, std::string("store write failed: ") + e.what());
  } catch (...) {
    result = fail(ErrorCode::kInternal, "store write failed with an unknown exception");
  }
  if (!result) return result;  // ~Savepoint rolls this unit back
  return savepoint->release();
}

}  // namespace

WriteBatcher::WriteBatcher(Connection connection, std::size_t max_batch,
                           metrics::MetricsRegistry* metrics)
    : connection_(std::move(connection)),
      metrics_(metrics != nullptr ? std::optional<CommitMetrics>(std::in_place, *metrics, "sqlite")
                                  : std::nullopt),
      commits_([this](std::span<Commits::Unit* const> batch) { return execute_transaction(batch); },
               max_batch, metrics_ ? &*metrics_ : nullptr) {}

WriteBatcher::~WriteBatcher() = default;

WriteBatcher::Commits::Outcome WriteBatcher::execute_transaction(
    std::span<Commits::Unit* const> batch) {
  std::size_t ran = 0;
  Result<void> outcome;
  auto transaction = Transaction::begin(connection_);
  if (!transaction) {
    outcome = fail(std::move(transaction.error()));
    ran = batch.size();  // none of them can run now; they all get the error
  } else {
    while (ran < batch.size()) {
      Commits::Unit& unit = *batch[ran++];
      unit.result = run_in_savepoint(connection_, *unit.work);
      if (!connection_.in_transaction()) {
        // SQLite rolled the whole transaction back by itself (I/O error, disk full): the
        // units before this one are gone too. Later units get a fresh transaction.
        Error error =
            unit.result ? Error{ErrorCode::kUnavailable, "write aborted", {}} : unit.result.error();
        error.message = "the batch's transaction was aborted: " + error.message;
        outcome = fail(std::move(error));
        break;
      }
    }
    if (outcome) outcome = transaction->commit();
  }
  for (std::size_t i = 0; i < ran; ++i) {
    Commits::Unit& unit = *batch[i];
    if (!outcome && unit.result) unit.result = fail(outcome.error());
  }
  return {ran, outcome.has_value()};
}

}  // namespace pop::store::sqlite
