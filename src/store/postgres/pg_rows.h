// Statements of the PostgreSQL store: text parameters in, rows read the way the shared
// record readers (store/record_rows.h) and page reader (store/listing_page.h) expect.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "postgres/pg_connection.h"
#include "util/result.h"

namespace pop::store::postgres {

using ::pop::postgres::Connection;
using Parameters = std::vector<std::optional<std::string>>;

// The rows of one result, stepped through one at a time.
class RowReader {
 public:
  explicit RowReader(::pop::postgres::Rows rows) : rows_(std::move(rows)) {}

  // Moves to the next row (the first, on the first call); false when there is none.
  Result<bool> step() { return ++current_ <= rows_.size(); }

  std::string_view column_text(int column) const { return rows_.text(row(), index(column)); }
  std::int64_t column_int64(int column) const;
  double column_double(int column) const;
  bool column_is_null(int column) const { return rows_.is_null(row(), index(column)); }
  // Rows an INSERT, UPDATE or DELETE touched.
  std::size_t affected() const { return rows_.affected(); }

 private:
  std::size_t row() const { return current_ - 1; }
  static std::size_t index(int column) { return static_cast<std::size_t>(column); }

  ::pop::postgres::Rows rows_;
  std::size_t current_ = 0;  // 1-based: 0 before the first step
};

// Runs one of the store's statements (prepared once per connection).
Result<RowReader> query(Connection& db, std::string_view sql, const Parameters& parameters = {});

// Runs one of the store's statements for its effect alone.
Result<void> run(Connection& db, std::string_view sql, const Parameters& parameters = {});

// Parameter text for numbers: integers in decimal, doubles in the shortest form that reads
// back exactly.
std::string parameter(std::int64_t value);
std::string parameter(double value);

// A text[] parameter: {"a","b"} with quotes and backslashes escaped.
std::string text_array_parameter(const std::vector<std::string>& values);

}  // namespace pop::store::postgres
