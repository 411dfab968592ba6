// Reads one page of a listing: the statement asks for limit + 1 rows, and the extra row, if
// it comes, only says that more exist.
#pragma once

#include <cstddef>
#include <utility>

#include "store/sqlite/sqlite_statement.h"
#include "store/store_types.h"

namespace pop::store::sqlite {

// `read_row(statement)` returns Result<T> for the current row. next_cursor is left to the
// caller, which knows how its listing is ordered.
template <typename T, typename ReadRow>
Result<Page<T>> read_page(Statement& listing, std::size_t limit, ReadRow read_row) {
  Page<T> page;
  while (true) {
    auto row = listing.step();
    if (!row) return tl::unexpected(std::move(row.error()));
    if (!*row) break;
    if (page.items.size() == limit) {
      page.more = true;
      break;
    }
    auto item = read_row(listing);
    if (!item) return tl::unexpected(std::move(item.error()));
    page.items.push_back(std::move(*item));
  }
  return page;
}

}  // namespace pop::store::sqlite
