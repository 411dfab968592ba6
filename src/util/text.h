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

// True when every byte of `text` is part of a well-formed UTF-8 sequence.
bool is_valid_utf8(std::string_view text);

// `text` safe to put in a one-line log record however hostile it is: control characters
// (C0, DEL, and C1 written as UTF-8) and backslashes are escaped as \n, \r, \t, \\ and
// \xHH / \u00HH, so request data (a path, a token's subject, a message quoting either) can
// neither start a forged line nor drive a terminal. Everything else is kept as it is.
std::string escape_for_log(std::string_view text);

}  // namespace pop
