#include "api/page_request.h"

#include <charconv>

#include "store/store_types.h"

namespace pop::api {

Result<std::size_t> parse_page_limit(std::string_view text) {
  std::size_t limit = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
  if (ec != std::errc() || end != text.data() + text.size() || limit < 1 ||
      limit > store::kMaxPageLimit) {
    return fail(ErrorCode::kInvalidArgument, "limit must be an integer from 1 to " +
                                                 std::to_string(store::kMaxPageLimit) + ", not \"" +
                                                 std::string(text) + "\"");
  }
  return limit;
}

Result<bool> read_page_param(std::string_view name, const std::string& value, std::string& cursor,
                             std::size_t& limit) {
  if (name == "cursor") {
    cursor = value;
  } else if (name == "limit") {
    auto parsed = parse_page_limit(value);
    if (!parsed) return fail(parsed.error());
    limit = *parsed;
  } else {
    return false;
  }
  return true;
}

Error unknown_query_parameter(std::string_view name, std::string_view expected) {
  return Error{ErrorCode::kInvalidArgument,
               "unknown query parameter \"" + std::string(name) + "\" (expected " +
                   std::string(expected) + ")",
               {}};
}

Result<PageRequest> page_request(const http::QueryParams& query) {
  PageRequest page;
  for (const auto& [name, value] : query.params()) {
    auto paging = read_page_param(name, value, page.cursor, page.limit);
    if (!paging) return fail(paging.error());
    if (!*paging) return fail(unknown_query_parameter(name, "limit, cursor"));
  }
  return page;
}

}  // namespace pop::api
