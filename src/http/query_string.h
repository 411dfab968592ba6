// Decoding of request targets: percent-encoding (RFC 3986 §2.1) and HTML-form style query
// strings (`a=1&b=x+y`), the shapes API clients actually send.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

namespace pop::http {

// Decoded query parameters in request order; a name may repeat (`?tag=a&tag=b`).
class QueryParams {
 public:
  using Param = std::pair<std::string, std::string>;

  // The first value of `name` (names are case-sensitive), or nullopt.
  std::optional<std::string_view> get(std::string_view name) const;
  // Every value of `name`, in order.
  std::vector<std::string_view> get_all(std::string_view name) const;
  void add(std::string name, std::string value);

  const std::vector<Param>& params() const { return params_; }
  bool empty() const { return params_.empty(); }

 private:
  std::vector<Param> params_;
};

// `text` with %XX sequences decoded, and '+' read as a space when plus_as_space (query
// strings only; in paths '+' is literal). Fails with kInvalidArgument on a '%' not followed
// by two hex digits, or on a decoded NUL byte, which no API value legitimately contains.
Result<std::string> percent_decode(std::string_view text, bool plus_as_space);

// Parses the part of a target after '?'. Empty pieces (`a=1&&b=2`) are skipped; a piece
// without '=' is a name with an empty value. Fails as percent_decode does.
Result<QueryParams> parse_query(std::string_view query);

}  // namespace pop::http
