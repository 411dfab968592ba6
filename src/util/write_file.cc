#include "util/write_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace pop {

Result<void> write_file(const std::filesystem::path& path, std::string_view data) {
  std::FILE* file = std::fopen(path.c_str(), "we");
  if (file == nullptr) {
    return fail(ErrorCode::kUnavailable,
                "cannot create " + path.string() + ": " + std::strerror(errno));
  }
  const bool written = std::fwrite(data.data(), 1, data.size(), file) == data.size();
  if (std::fclose(file) != 0 || !written) {
    return fail(ErrorCode::kUnavailable, "cannot write " + path.string());
  }
  return {};
}

}  // namespace pop
