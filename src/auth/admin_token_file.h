// The bootstrap admin token's file, <data>/admin.token: written by the server on its first
// start (mode 0600, only the server's user can read it) and read by the CLI when it talks
// to a server on this machine without a token of its own.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "util/result.h"

namespace pop::auth {

inline constexpr const char* kAdminTokenFileName = "admin.token";

// Writes `token` and a newline to `path` with mode 0600, durably (a temporary file, fsync,
// rename, fsync of the directory). kConflict when the file exists; kUnavailable when it
// cannot be written.
Result<void> write_admin_token_file(const std::filesystem::path& path, const std::string& token);

// The token in `path`, without surrounding white space; nullopt when the file does not
// exist or cannot be read.
std::optional<std::string> read_admin_token_file(const std::filesystem::path& path);

}  // namespace pop::auth
