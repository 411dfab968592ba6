// Small text helpers shared across modules.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pop {

// `name` cut to `max_bytes` with every byte outside [A-Za-z0-9._-] replaced by '_', and
// never starting with '.', so it can name a file or directory. Empty input gives "op".
std::string file_safe_name(std::string_view name, std::size_t max_bytes = 64);

// `text` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD,
// so handler logs can be put into JSON documents whatever the handler printed.
std::string valid_utf8(std::string_view text);

}  // namespace pop
