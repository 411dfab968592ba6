#include "store/postgres/pg_rows.h"

#include <charconv>
#include <utility>

namespace pop::store::postgres {

std::int64_t RowReader::column_int64(int column) const {
  const std::string_view text = column_text(column);
  std::int64_t value = 0;  // NULL (empty text) reads as 0, as in SQLite
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

double RowReader::column_double(int column) const {
  const std::string_view text = column_text(column);
  double value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

Result<RowReader> query(Connection& db, std::string_view sql, const Parameters& parameters) {
  auto rows = db.execute_prepared(sql, parameters);
  if (!rows) return fail(std::move(rows.error().error));
  return RowReader(std::move(*rows));
}

Result<void> run(Connection& db, std::string_view sql, const Parameters& parameters) {
  auto done = query(db, sql, parameters);
  if (!done) return fail(std::move(done.error()));
  return {};
}

std::string parameter(std::int64_t value) { return std::to_string(value); }

std::string parameter(double value) {
  char text[32];
  const auto written = std::to_chars(text, text + sizeof text, value);
  return std::string(text, written.ptr);
}

std::string text_array_parameter(const std::vector<std::string>& values) {
  std::string array = "{";
  for (const std::string& value : values) {
    if (array.size() > 1) array += ',';
    array += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') array += '\\';
      array += c;
    }
    array += '"';
  }
  return array + "}";
}

}  // namespace pop::store::postgres
