#include "runner/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "util/json_limits.h"
#include "util/unique_fd.h"

namespace pop {

Result<nlohmann::json> read_output_file(const std::filesystem::path& path, std::size_t max_bytes) {
  // O_NONBLOCK: a handler that leaves a FIFO here must not block the runner in open();
  // O_NOFOLLOW: nor may it point the runner at some other file through a symlink.
  UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW));
  if (!file) {
    if (errno == ENOENT) return nullptr;
    if (errno == ELOOP)
      return fail(ErrorCode::kInvalidArgument, "output file is not a regular file");
    return fail(ErrorCode::kUnavailable,
                std::string("cannot open the output file: ") + std::strerror(errno));
  }
  struct stat info {};
  if (::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return fail(ErrorCode::kInvalidArgument, "output file is not a regular file");
  }
  const auto too_large = [max_bytes] {
    return fail(ErrorCode::kTooLarge,
                "output file is larger than the limit of " + std::to_string(max_bytes) + " bytes");
  };
  if (static_cast<std::size_t>(info.st_size) > max_bytes) return too_large();

  // Read to the end rather than trusting st_size, which a still-running writer may change.
  std::string text(static_cast<std::size_t>(info.st_size) + 1, '\0');
  std::size_t length = 0;
  for (;;) {
    if (length == text.size()) {
      if (length > max_bytes) return too_large();
      text.resize(std::min(2 * text.size(), max_bytes + 1));
    }
    const ssize_t n = ::read(file.get(), text.data() + length, text.size() - length);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return fail(ErrorCode::kUnavailable,
                  std::string("cannot read the output file: ") + std::strerror(errno));
    }
    if (n == 0) break;
    length += static_cast<std::size_t>(n);
  }
  if (length > max_bytes) return too_large();
  text.resize(length);

  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return nullptr;
  auto json = parse_json_limited(text, {.max_bytes = max_bytes,
                                        .max_depth = kOutputLimits.max_depth,
                                        .max_values = kOutputLimits.max_values});
  if (!json) {
    const char* prefix = json.error().code == ErrorCode::kInvalidArgument
                             ? "output file is not valid JSON: "
                             : "output file rejected: ";
    return fail(json.error().code, prefix + json.error().message);
  }
  return std::move(*json);
}

}  // namespace pop
