// Test support: what a file holds: its whole contents, its permission bits.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace pop::testing {

// The whole contents, empty when the file cannot be read.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// The permission bits (with setuid, setgid, sticky) of the entry itself, not of what a
// symbolic link points to; 0 when it does not exist.
inline mode_t mode_of(const std::filesystem::path& path) {
  struct stat status {};
  return ::lstat(path.c_str(), &status) == 0 ? (status.st_mode & 07777) : 0;
}

}  // namespace pop::testing
