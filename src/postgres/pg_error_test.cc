#include "postgres/pg_error.h"

#include <gtest/gtest.h>

namespace pop::postgres {
namespace {

TEST(PostgresError, TheSqlstateSaysWhatTheCallerCanDo) {
  const struct {
    const char* sqlstate;
    ErrorCode code;
    bool retry_transaction;
  } cases[] = {
      {"", ErrorCode::kUnavailable, false},       // libpq: the connection
      {"08006", ErrorCode::kUnavailable, false},  // connection failure
      {"57P01", ErrorCode::kUnavailable, false},  // admin shutdown
      {"57P03", ErrorCode::kUnavailable, false},  // cannot connect now (starting up)
      {"53300", ErrorCode::kUnavailable, false},  // too many connections
      {"40001", ErrorCode::kConflict, true},      // serialization failure
      {"40P01", ErrorCode::kConflict, true},      // deadlock
      {"23505", ErrorCode::kConflict, false},     // unique violation
      {"42601", ErrorCode::kInternal, false},     // syntax error: a bug
      {"57P04", ErrorCode::kInternal, false},     // database dropped
  };
  for (const auto& c : cases) {
    const Error error = postgres_error(c.sqlstate, "context", "detail");
    EXPECT_EQ(error.code, c.code) << c.sqlstate;
    EXPECT_EQ(error.message, "context: detail");
    EXPECT_EQ(is_retryable_transaction_failure(c.sqlstate), c.retry_transaction) << c.sqlstate;
  }
}

}  // namespace
}  // namespace pop::postgres
