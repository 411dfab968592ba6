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

Result<PageRequest> page_request(const http::QueryParams& query) {
  PageRequest page;
  for (const auto& [name, value] : query.params()) {
    if (name == "cursor") {
      page.cursor = value;
    } else if (name == "limit") {
      auto limit = parse_page_limit(value);
      if (!limit) return tl::unexpected(limit.error());
      page.limit = *limit;
    } else {
      return fail(ErrorCode::kInvalidArgument,
                  "unknown query parameter \"" + name + "\" (expected limit, cursor)");
    }
  }
  return page;
}

}  // namespace pop::api
