// Header fields keyed by name with ASCII case ignored (RFC 9110 §5.1), used for both the
// headers a caller adds to a request and those a response carried.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace pop::http_client {

// Orders names ignoring ASCII case; transparent, so lookups take a string_view.
struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

// One value per name: a response that repeats a field has its values joined with ", ",
// which RFC 9110 §5.3 makes equivalent for every field this client reads.
using Headers = std::map<std::string, std::string, CaseInsensitiveLess>;

// True when `name` is a non-empty RFC 9110 token, so it cannot smuggle a second header line.
bool is_valid_header_name(std::string_view name);

// True when `value` holds no CR, LF or NUL (the bytes that would end or corrupt the line).
bool is_valid_header_value(std::string_view value);

}  // namespace pop::http_client
