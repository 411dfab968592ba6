// Writing a whole small file at once (a payload, an empty output file for a handler).
#pragma once

#include <filesystem>
#include <string_view>

#include "util/result.h"

namespace pop {

// Creates or truncates `path` and writes `data`; kUnavailable naming the path and the reason.
Result<void> write_file(const std::filesystem::path& path, std::string_view data);

}  // namespace pop
