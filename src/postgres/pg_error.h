// How PostgreSQL's errors (SQLSTATE codes, appendix A of its manual) become POP errors. The
// code says what the caller can do: retry later (kUnavailable: the connection or the server
// went away, or it is short of resources), retry the transaction or resolve a conflict
// (kConflict), or nothing (kInternal: bad SQL, a bug).
#pragma once

#include <string_view>

#include "util/result.h"

namespace pop::postgres {

// kUnavailable for connection exceptions (class 08), operator intervention (57P01, 57P02, 57P03,
// 57P05: shutdown, crash, cannot connect now, idle timeout), insufficient resources (53) and an
// unknown state (empty: libpq's own errors are about the connection); kConflict for integrity
// violations (23) and transaction rollbacks (40: serialization failures, deadlocks); kInternal for
// the rest. The message is `context`: `detail`.
Error postgres_error(std::string_view sqlstate, std::string_view context, std::string_view detail);

// A transaction that failed this way may simply be run again: a serialization failure or a
// deadlock (the database rolled it back; nothing of it is kept).
bool is_retryable_transaction_failure(std::string_view sqlstate);

}  // namespace pop::postgres
