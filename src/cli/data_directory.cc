#include "cli/data_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace pop::cli {
namespace {

namespace fs = std::filesystem;

constexpr mode_t kGroupAndOthers = 077;

tl::unexpected<Error> io_error(const std::string& what, const fs::path& path) {
  return fail(ErrorCode::kUnavailable, what + " " + path.string() + ": " + std::strerror(errno));
}

// A directory with mode 0700 exactly (the umask may have removed bits mkdir asked for); one
// that exists already is left as it is.
Result<void> make_private_directory(const fs::path& path) {
  if (::mkdir(path.c_str(), 0700) == 0) {
    if (::chmod(path.c_str(), 0700) != 0) return io_error("cannot make private", path);
  } else if (errno != EEXIST) {
    return io_error("cannot create", path);
  }
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0) return io_error("cannot read", path);
  if (!S_ISDIR(status.st_mode))
    return fail(ErrorCode::kUnavailable, path.string() + " is not a directory");
  return {};
}

// The pid the holder wrote into the lock file, or "unknown" while it has not yet.
std::string holder_pid(int fd) {
  char text[32] = {};
  const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  std::string pid(text, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos ? "unknown" : pid;
}

Result<UniqueFd> lock(const fs::path& directory) {
  const fs::path file = directory / DataDirectory::kLockFileName;
  UniqueFd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return io_error("cannot open the lock file", file);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return io_error("cannot lock", file);
    return fail(ErrorCode::kConflict,
                "data directory " + directory.string() + " is in use by another pop server (pid " +
                    holder_pid(fd.get()) + "); stop it first, or give this one another --data");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 ||
      ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
    return io_error("cannot write the pid into", file);
  return fd;
}

bool non_empty_file(const fs::path& path) {
  struct stat status {};
  return ::lstat(path.c_str(), &status) == 0 && status.st_size > 0;
}

bool present(const fs::path& path) {
  struct stat status {};
  return ::lstat(path.c_str(), &status) == 0;
}

// A directory that served before has an admin token (written once the database holds its
// hash) or a work directory; if its database is gone (missing, or empty with no write-ahead
// log that SQLite would recover from), starting would begin a new installation over it.
Result<void> check_database_kept(const fs::path& directory, std::string_view database_file) {
  const fs::path database = directory / database_file;
  const fs::path wal = directory / (std::string(database_file) + "-wal");
  if (non_empty_file(database) || non_empty_file(wal)) return {};
  std::vector<std::string> signs;
  for (const char* name : {"admin.token", "work"}) {
    if (present(directory / name)) signs.push_back(name);
  }
  if (present(wal)) signs.push_back(wal.filename().string());
  if (signs.empty()) return {};  // a new directory, or one that never got that far
  std::string found;
  for (const auto& sign : signs) found += (found.empty() ? "" : ", ") + sign;
  return fail(ErrorCode::kConflict,
              "data directory " + directory.string() + " was in use (" + found +
                  ") but its database " + std::string(database_file) + " is " +
                  (present(database) ? "empty" : "missing") +
                  "; refusing to start a new, empty installation over it",
              {"Restore " + std::string(database_file) +
               " from a backup, or, to start afresh "
               "without any agendas, configuration or tokens, remove " +
               found + " (or use another --data directory)."});
}

// Removes group and other access from `path` unless it is a symbolic link; true when it
// changed anything.
bool tighten(const fs::path& path) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0 || S_ISLNK(status.st_mode)) return false;
  if ((status.st_mode & kGroupAndOthers) == 0) return false;
  return ::chmod(path.c_str(), status.st_mode & 07700) == 0;
}

std::vector<std::string> tighten_tree(const fs::path& root) {
  std::vector<std::string> changed;
  if (tighten(root)) changed.push_back(".");
  std::error_code error;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, error);
  for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (tighten(it->path())) changed.push_back(fs::relative(it->path(), root).string());
  }
  return changed;
}

}  // namespace

Result<DataDirectory> DataDirectory::claim(const fs::path& path, std::string_view database_file) {
  std::error_code error;
  fs::path directory = fs::absolute(path, error).lexically_normal();
  if (error) return fail(ErrorCode::kUnavailable, "cannot use " + path.string());
  if (!directory.has_filename()) directory = directory.parent_path();  // "data/"
  // The parents are the operator's business; only the data directory itself is made private.
  const fs::path parent = directory.parent_path();
  if (!parent.empty()) fs::create_directories(parent, error);
  if (auto made = make_private_directory(directory); !made) return tl::unexpected(made.error());
  auto held = lock(directory);
  if (!held) return tl::unexpected(held.error());
  if (auto kept = check_database_kept(directory, database_file); !kept)
    return tl::unexpected(kept.error());
  DataDirectory claimed(directory, std::move(*held));
  claimed.tightened_ = tighten_tree(directory);
  return claimed;
}

Result<fs::path> DataDirectory::fresh_subdirectory(std::string_view name) const {
  const fs::path directory = path_ / name;
  std::error_code error;
  fs::remove_all(directory, error);
  if (error)
    return fail(ErrorCode::kUnavailable,
                "cannot remove " + directory.string() + ": " + error.message());
  if (auto made = make_private_directory(directory); !made) return tl::unexpected(made.error());
  return directory;
}

std::string describe_entries(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 10;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kShown; ++i)
    out += (i == 0 ? "" : ", ") + names[i];
  if (names.size() > kShown) out += " and " + std::to_string(names.size() - kShown) + " more";
  return out;
}

}  // namespace pop::cli
