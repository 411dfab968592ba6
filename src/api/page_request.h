// The paging parameters of list endpoints: `?limit=1..1000&cursor=...`, answered with
// {"items": [...], "nextCursor": "..."} where nextCursor is present only when more follow.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "http/query_string.h"
#include "util/result.h"

namespace pop::api {

struct PageRequest {
  std::string cursor;  // empty: from the start
  std::size_t limit = 100;
};

// A `limit` value: an integer from 1 to 1000 (store::kMaxPageLimit), else kInvalidArgument.
Result<std::size_t> parse_page_limit(std::string_view text);

// For list endpoints with filters of their own: reads `name=value` into `cursor` or `limit`
// and says true when it is one of them; false for any other name; kInvalidArgument for a
// bad limit.
Result<bool> read_page_param(std::string_view name, const std::string& value, std::string& cursor,
                             std::size_t& limit);

// kInvalidArgument: "unknown query parameter "x" (expected <expected>)".
Error unknown_query_parameter(std::string_view name, std::string_view expected);

// Reads `limit` and `cursor`; any other parameter is kInvalidArgument naming it.
Result<PageRequest> page_request(const http::QueryParams& query);

}  // namespace pop::api
