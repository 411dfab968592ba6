#include "server/data_directory.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "util/random_id.h"
#include "util/text.h"
#include "util/write_file.h"

namespace pop::server {
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
  if (database_file.empty()) return {};  // the database is elsewhere
  const fs::path database = directory / database_file;
  const fs::path wal = directory / (std::string(database_file) + "-wal");
  if (non_empty_file(database) || non_empty_file(wal)) return {};
  std::vector<std::string> signs;
  for (std::string_view name :
       {std::string_view("admin.token"), DataDirectory::kWorkDirectoryName}) {
    if (present(directory / name)) signs.emplace_back(name);
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

// Deeper directories are left as they are: far below anything a server writes, and each
// level holds a descriptor while it is walked.
constexpr int kMaxDepth = 32;

struct DirectoryCloser {
  void operator()(DIR* listing) const { ::closedir(listing); }
};
using DirectoryListing = std::unique_ptr<DIR, DirectoryCloser>;

// Removes group and other access from the directory open as `fd`; true when it changed
// anything.
bool tighten_open_directory(int fd) {
  struct stat status {};
  if (::fstat(fd, &status) != 0 || (status.st_mode & kGroupAndOthers) == 0) return false;
  return ::fchmod(fd, status.st_mode & 07700) == 0;
}

// The same for the entry `name` of the directory open as `parent`, seen as `status` (not a
// symbolic link). glibc's fchmodat with AT_SYMLINK_NOFOLLOW opens the entry with
// O_PATH | O_NOFOLLOW and changes the inode it opened, so a link swapped in since is refused,
// never followed.
bool tighten_entry(int parent, const char* name, const struct stat& status) {
  if ((status.st_mode & kGroupAndOthers) == 0) return false;
  return ::fchmodat(parent, name, status.st_mode & 07700, AT_SYMLINK_NOFOLLOW) == 0;
}

// Tightens everything in the directory open as `directory` and below it, adding what it
// changed to `changed` as `prefix` + its name. Every entry is reached from its parent's
// descriptor, never by a path, so no symbolic link is followed, not even one swapped in for
// a directory while the walk runs. The top level's work directory is closed but not entered
// (see DataDirectory::claim).
void tighten_entries(UniqueFd directory, const std::string& prefix, int depth,
                     std::vector<std::string>& changed) {
  DirectoryListing listing(::fdopendir(directory.get()));
  if (!listing) return;
  directory.release();  // the listing closes it
  const int parent = ::dirfd(listing.get());
  while (const dirent* entry = ::readdir(listing.get())) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat status {};
    if (::fstatat(parent, name.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0 ||
        S_ISLNK(status.st_mode))
      continue;
    const std::string relative = prefix + name;
    UniqueFd subdirectory;
    if (S_ISDIR(status.st_mode)) {
      subdirectory.reset(
          ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    }
    const bool tightened = subdirectory ? tighten_open_directory(subdirectory.get())
                                        : tighten_entry(parent, name.c_str(), status);
    if (tightened) changed.push_back(relative);
    const bool enter = subdirectory && depth < kMaxDepth &&
                       !(prefix.empty() && name == DataDirectory::kWorkDirectoryName);
    if (enter) tighten_entries(std::move(subdirectory), relative + "/", depth + 1, changed);
  }
}

// claim()'s tightening of `root` (".") and everything in it.
std::vector<std::string> tighten_tree(const fs::path& root) {
  std::vector<std::string> changed;
  UniqueFd directory(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!directory) return changed;
  if (tighten_open_directory(directory.get())) changed.push_back(".");
  tighten_entries(std::move(directory), "", 0, changed);
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
  if (auto made = make_private_directory(directory); !made) return fail(made.error());
  auto held = lock(directory);
  if (!held) return fail(held.error());
  if (auto kept = check_database_kept(directory, database_file); !kept) return fail(kept.error());
  DataDirectory claimed(directory, std::move(*held));
  claimed.tightened_ = tighten_tree(directory);
  return claimed;
}

Result<std::string> DataDirectory::replica_id() const {
  const fs::path file = path_ / "replica.id";
  std::FILE* kept = std::fopen(file.c_str(), "re");
  if (kept != nullptr) {
    char text[64] = {};
    const std::size_t size = std::fread(text, 1, sizeof text - 1, kept);
    std::fclose(kept);
    std::string id(text, size);
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    if (!id.empty()) return id;
  } else if (errno != ENOENT) {
    return fail(ErrorCode::kUnavailable,
                "cannot read " + file.string() + ": " + std::strerror(errno));
  }
  std::string id = random_uuid();
  if (auto written = write_file(file, id + "\n"); !written) return fail(written.error());
  return id;
}

Result<fs::path> DataDirectory::fresh_subdirectory(std::string_view name) const {
  const fs::path directory = path_ / name;
  std::error_code error;
  fs::remove_all(directory, error);
  if (error)
    return fail(ErrorCode::kUnavailable,
                "cannot remove " + directory.string() + ": " + error.message());
  if (auto made = make_private_directory(directory); !made) return fail(made.error());
  return directory;
}

std::string describe_entries(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 10;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kShown; ++i)
    out += (i == 0 ? "" : ", ") + escape_for_log(names[i]);
  if (names.size() > kShown) out += " and " + std::to_string(names.size() - kShown) + " more";
  return out;
}

}  // namespace pop::server
