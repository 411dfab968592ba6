#include "auth/admin_token_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace pop::auth {
namespace {

tl::unexpected<Error> io_error(const std::string& what, const std::filesystem::path& path) {
  return fail(ErrorCode::kUnavailable, what + " " + path.string() + ": " + std::strerror(errno));
}

// Closes a descriptor on every path out.
struct Descriptor {
  int fd = -1;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

// Removes a half-written temporary file on every path out but success.
struct TemporaryFile {
  std::filesystem::path path;
  bool kept = false;
  ~TemporaryFile() {
    if (!kept) ::unlink(path.c_str());
  }
};

}  // namespace

Result<void> write_admin_token_file(const std::filesystem::path& path, const std::string& token) {
  std::error_code exists_error;
  if (std::filesystem::exists(path, exists_error))
    return fail(ErrorCode::kConflict, path.string() + " exists");
  const std::filesystem::path temporary = path.string() + ".tmp";
  ::unlink(temporary.c_str());
  Descriptor file{::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
  if (file.fd < 0) return io_error("cannot create", temporary);
  TemporaryFile cleanup{temporary};
  const std::string line = token + "\n";
  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(file.fd, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error("cannot write", temporary);
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(file.fd) != 0) return io_error("cannot sync", temporary);
  if (::rename(temporary.c_str(), path.c_str()) != 0) return io_error("cannot rename to", path);
  cleanup.kept = true;
  Descriptor directory{::open(path.parent_path().empty() ? "." : path.parent_path().c_str(),
                              O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (directory.fd < 0 || ::fsync(directory.fd) != 0)
    return io_error("cannot sync the directory of", path);
  return {};
}

std::optional<std::string> read_admin_token_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  const auto first = token.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return std::nullopt;
  const auto last = token.find_last_not_of(" \t\r\n");
  return token.substr(first, last - first + 1);
}

}  // namespace pop::auth
