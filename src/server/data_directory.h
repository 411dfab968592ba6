// The data directory of `pop server` (--data), claimed before anything in it is touched.
//
// - One server per directory. An exclusive lock (flock) on <dir>/pop.lock, taken before any
//   other file is read or written and held for the life of the DataDirectory; the holder's
//   pid is written in the file so that a second server can name it. The descriptor is
//   close-on-exec (no handler inherits the lock), and the kernel drops the lock when the
//   holder dies, by kill -9 too, so a restart never waits for it. The file stays: removing a
//   lock file races with the next server opening it.
// - Private. The database holds customers' payloads and the key that signs report tokens:
//   the directory is 0700 and nothing in it is open to group or others, whatever the umask.
//   What an older server (or an operator) left open is tightened at claim and listed, so the
//   server can say what it changed. The work directory is closed but not entered: what is in
//   it belongs to a killed predecessor's handlers (some perhaps still running) and is
//   replaced at start (fresh_subdirectory).
// - No fresh start over a lost database. A directory that was in use (admin.token or a work
//   directory is there) but whose database file is missing or empty would otherwise start as
//   a new, empty installation with a new admin token nobody holds: that is refused.
//
// Not thread-safe; one object per process.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"
#include "util/unique_fd.h"

namespace pop::server {

class DataDirectory {
 public:
  static constexpr std::string_view kLockFileName = "pop.lock";
  // Where the embedded puller's handlers get their attempt directories.
  static constexpr std::string_view kWorkDirectoryName = "work";

  // Creates `path` (0700) when missing, locks it, checks that it still has the database
  // `database_file` if it was in use (unless empty: a database kept elsewhere), and removes group
  // and other access from it and from everything under it but the contents of kWorkDirectoryName.
  // Symbolic links are left alone, never followed, also when one replaces an entry while the walk
  // runs: each entry is reached through its parent's descriptor. Directories more than 32 levels
  // down are left as they are. kConflict: another process holds the lock (the message names the
  // directory and the holder's pid), or the directory was in use and lost its database (the message
  // says what to do). kUnavailable: the directory or lock file cannot be created or locked.
  static Result<DataDirectory> claim(const std::filesystem::path& path,
                                     std::string_view database_file);

  DataDirectory(DataDirectory&&) noexcept = default;
  DataDirectory& operator=(DataDirectory&&) noexcept = default;

  // The absolute path of the directory.
  const std::filesystem::path& path() const { return path_; }

  // What claim() tightened, relative to path() ("." for the directory itself); empty when
  // everything was already private.
  const std::vector<std::string>& tightened() const { return tightened_; }

  // <path>/<name> as a new, empty directory with mode 0700: whatever was there (a killed
  // predecessor's leftovers; the lock proves it is gone) is removed first.
  // kUnavailable: it cannot be removed or created.
  Result<std::filesystem::path> fresh_subdirectory(std::string_view name) const;

  // The id of the server that uses this directory, among replicas sharing a store: created at
  // first use and kept in <path>/replica.id, so that a server restarted after a crash is the
  // same replica and takes its own pools back at once. kUnavailable: it cannot be read or
  // written.
  Result<std::string> replica_id() const;

 private:
  DataDirectory(std::filesystem::path path, UniqueFd lock) noexcept
      : path_(std::move(path)), lock_(std::move(lock)) {}

  std::filesystem::path path_;
  UniqueFd lock_;  // holds the flock for the object's life
  std::vector<std::string> tightened_;
};

// "a, b, c and 4 more": the names of tightened() for one line of output, escaped
// (escape_for_log): whoever could write in the directory chose them.
std::string describe_entries(const std::vector<std::string>& names);

}  // namespace pop::server
