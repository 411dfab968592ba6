// Reads one page of a listing, for every SQL store: the statement asks for limit + 1 rows, and
// the extra row, if it comes, only says that more exist.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <utility>

#include "store/store_types.h"

namespace pop::store {

// Where a store reports records it cannot read back (store.h, "Unreadable records"): one line
// naming the record and why, called on the reading thread.
using Warn = std::function<void(const std::string& line)>;

// `listing` steps through rows (`Result<bool> step()`, false after the last);
// `read_row(listing)` returns Result<T> for the current row; `cursor_of(listing)` the cursor
// just past it. The page's next_cursor is past the last row read, or `start_cursor`
// when there was none.
//
// A row that read_row fails with kInternal (stored data the store cannot read back) is left
// out and reported to `warn`, so that one damaged record does not fail the listing of its
// neighbours (store.h, "Unreadable records"). It still counts towards `limit`, and the
// cursor moves past it, so paging goes on after it.
template <typename T, typename Listing, typename ReadRow, typename CursorOf>
Result<Page<T>> read_page(Listing& listing, std::size_t limit, std::string start_cursor,
                          ReadRow read_row, CursorOf cursor_of, const Warn& warn) {
  Page<T> page;
  page.next_cursor = std::move(start_cursor);
  std::size_t rows = 0;
  while (true) {
    auto row = listing.step();
    if (!row) return fail(std::move(row.error()));
    if (!*row) break;
    if (rows == limit) {
      page.more = true;
      break;
    }
    ++rows;
    page.next_cursor = cursor_of(listing);
    auto item = read_row(listing);
    if (item) {
      page.items.push_back(std::move(*item));
    } else if (item.error().code == ErrorCode::kInternal) {
      if (warn) warn("unreadable record left out of a listing: " + item.error().message);
    } else {
      return fail(std::move(item.error()));
    }
  }
  return page;
}

}  // namespace pop::store
