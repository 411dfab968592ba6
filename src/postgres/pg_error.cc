#include "postgres/pg_error.h"

#include <string>

namespace pop::postgres {

Error postgres_error(std::string_view sqlstate, std::string_view context, std::string_view detail) {
  ErrorCode code = ErrorCode::kInternal;
  if (sqlstate.empty() || sqlstate.starts_with("08") || sqlstate.starts_with("53") ||
      (sqlstate.starts_with("57P") && sqlstate != "57P04")) {
    code = ErrorCode::kUnavailable;
  } else if (sqlstate.starts_with("23") || sqlstate.starts_with("40")) {
    code = ErrorCode::kConflict;
  }
  std::string message(context);
  if (!detail.empty()) message += ": " + std::string(detail);
  return Error{code, std::move(message), {}};
}

bool is_retryable_transaction_failure(std::string_view sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";
}

}  // namespace pop::postgres
