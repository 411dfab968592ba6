// Building request targets from values that may contain reserved characters.
#pragma once

#include <string>
#include <string_view>

namespace pop::http_client {

// `text` with every byte except RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~)
// written as %XX, so it can be one path segment or one query value ("a/b c" -> "a%2Fb%20c").
std::string percent_encode(std::string_view text);

}  // namespace pop::http_client
