// zlib compression of byte strings, for what is stored compressed (attempt logs).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "util/result.h"

namespace pop {

// `bytes` in the zlib format (RFC 1950) at the default level.
std::string deflate_bytes(std::string_view bytes);

// The bytes `compressed` holds. kInvalidArgument: not zlib data, truncated, or more than
// `max_bytes` once inflated (so a hostile input cannot make it allocate without bound).
Result<std::string> inflate_bytes(std::string_view compressed, std::size_t max_bytes);

}  // namespace pop
