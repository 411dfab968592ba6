// The SQLite store's files: private to the server's user whatever the umask (the database
// holds customers' payloads and the report token key), and every descriptor SQLite opens for
// them is close-on-exec, so that no handler the server starts inherits one.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "store/conformance/store_fixture.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/file_contents.h"
#include "util/temp_dir.h"

namespace pop::store::sqlite {
namespace {

using conformance::new_agenda;
using conformance::ok;
namespace fs = std::filesystem;
using pop::testing::mode_of;

class SqliteFilesTest : public ::testing::Test {
 protected:
  SqliteStoreOptions options() const {
    SqliteStoreOptions options;
    options.data_directory = directory_.path() / "data";
    return options;
  }

  TempDir directory_ = TempDir::create("pop-sqlite-files-").value();
};

TEST_F(SqliteFilesTest, FilesArePrivateWhateverTheUmask) {
  const mode_t old_mask = ::umask(0);  // the most permissive: 0666 files, 0777 directories
  auto store = SqliteStore::open(options());
  ASSERT_TRUE(ok(store));
  ASSERT_TRUE(ok((*store)->insert_agenda(new_agenda("a"))));
  ::umask(old_mask);
  EXPECT_EQ(mode_of(options().data_directory), 0700u);
  for (const char* file : {"pop.db", "pop.db-wal", "pop.db-shm"}) {
    ASSERT_TRUE(fs::exists(options().data_directory / file)) << file;
    EXPECT_EQ(mode_of(options().data_directory / file), 0600u) << file;
  }
}

// SQLite's unix VFS makes its system calls through a table a program may override; this
// test records the flags of every open() it makes (database, -wal, -shm, journals and the
// directory it opens to sync), then restores the real call.
struct RecordedOpens {
  std::mutex mutex;
  std::vector<std::pair<std::string, int>> calls;  // path, flags
  sqlite3_syscall_ptr real = nullptr;
};
RecordedOpens recorded;

int recording_open(const char* path, int flags, int mode) {
  {
    std::lock_guard lock(recorded.mutex);
    recorded.calls.emplace_back(path, flags);
  }
  using Open = int (*)(const char*, int, int);
  return reinterpret_cast<Open>(recorded.real)(path, flags, mode);
}

TEST_F(SqliteFilesTest, EveryDescriptorSqliteOpensIsCloseOnExec) {
  sqlite3_vfs* vfs = sqlite3_vfs_find(nullptr);
  ASSERT_NE(vfs, nullptr);
  ASSERT_NE(vfs->xSetSystemCall, nullptr);
  recorded.real = vfs->xGetSystemCall(vfs, "open");
  ASSERT_NE(recorded.real, nullptr);
  ASSERT_EQ(
      vfs->xSetSystemCall(vfs, "open", reinterpret_cast<sqlite3_syscall_ptr>(&recording_open)),
      SQLITE_OK);
  {
    auto store = SqliteStore::open(options());
    ASSERT_TRUE(ok(store));
    ASSERT_TRUE(ok((*store)->insert_agenda(new_agenda("a"))));
    ASSERT_TRUE(ok((*store)->get_agenda("a")));

    // While it is open, every descriptor of this process into the data directory.
    const std::string data = fs::canonical(options().data_directory).string();
    int into_data = 0;
    for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
      std::error_code error;
      const fs::path target = fs::read_symlink(entry.path(), error);
      if (error || target.string().rfind(data, 0) != 0) continue;
      const int fd = std::stoi(entry.path().filename().string());
      const int flags = ::fcntl(fd, F_GETFD);
      if (flags == -1) continue;  // closed since the listing was read
      ++into_data;
      EXPECT_NE(flags & FD_CLOEXEC, 0) << target;
    }
    EXPECT_GE(into_data, 3) << "the database, its -wal and its -shm";
  }
  ASSERT_EQ(vfs->xSetSystemCall(vfs, "open", nullptr), SQLITE_OK);  // the real one again

  std::lock_guard lock(recorded.mutex);
  ASSERT_FALSE(recorded.calls.empty());
  bool directory_opened = false;
  for (const auto& [path, flags] : recorded.calls) {
    EXPECT_NE(flags & O_CLOEXEC, 0) << path;
    directory_opened |= fs::path(path) == options().data_directory;
  }
  EXPECT_TRUE(directory_opened) << "SQLite syncs the directory of a file it creates";
}

}  // namespace
}  // namespace pop::store::sqlite
