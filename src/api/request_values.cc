#include "api/request_values.h"

#include <charconv>
#include <optional>

#include "model/report_token.h"
#include "util/base64url.h"

namespace pop::api {

Result<std::uint64_t> integer_value(std::string_view text, std::string_view what, std::uint64_t min,
                                    std::uint64_t max) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max)
    return fail(ErrorCode::kInvalidArgument,
                std::string(what) + " must be an integer from " + std::to_string(min) + " to " +
                    std::to_string(max) + ", not \"" + std::string(text) + "\"");
  return value;
}

Result<std::string> lease_key(const http::HttpRequest& request) {
  const auto header = request.header(kLeaseKeyHeader);
  auto key = header && !header->empty() ? base64url_decode(*header) : std::nullopt;
  if (!key || key->empty())
    return fail(ErrorCode::kInvalidArgument,
                std::string(kLeaseKeyHeader) +
                    " must carry the reportKey the pull answer gave with this lease");
  return std::move(*key);
}

}  // namespace pop::api
