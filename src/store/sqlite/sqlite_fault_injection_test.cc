// The SQLite store on a VFS that wraps the default one to count syncs and inject I/O errors
// (SQLite's answer to LevelDB's FaultInjectionTestEnv): proves that a write is synced
// before it is acknowledged, and that a failing disk gives kUnavailable and keeps nothing.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <mutex>

#include "store/conformance/store_fixture.h"
#include "store/sqlite/sqlite_store.h"
#include "util/temp_dir.h"

namespace pop::store::sqlite {
namespace {

using conformance::fails_with;
using conformance::new_agenda;
using conformance::ok;

constexpr const char* kVfsName = "pop-fault-injection";

// One VFS per process; tests reset the counters and switches they use.
struct Faults {
  std::atomic<int> wal_syncs{0};
  std::atomic<bool> fail_writes{false};
};
Faults faults;
sqlite3_vfs* base_vfs = nullptr;
sqlite3_vfs fault_vfs;

// SQLite allocates szOsFile bytes per file: this header, then the wrapped VFS's file.
struct FaultFile {
  sqlite3_file base;  // first: SQLite sees a FaultFile as a sqlite3_file
  sqlite3_file* real;
  bool is_wal;
};

FaultFile* self(sqlite3_file* file) { return reinterpret_cast<FaultFile*>(file); }
sqlite3_file* real(sqlite3_file* file) { return self(file)->real; }
const sqlite3_io_methods& methods(sqlite3_file* file) { return *real(file)->pMethods; }

int close_file(sqlite3_file* f) { return methods(f).xClose(real(f)); }
int read_file(sqlite3_file* f, void* buffer, int amount, sqlite3_int64 offset) {
  return methods(f).xRead(real(f), buffer, amount, offset);
}
int write_file(sqlite3_file* f, const void* buffer, int amount, sqlite3_int64 offset) {
  if (faults.fail_writes.load()) return SQLITE_IOERR_WRITE;
  return methods(f).xWrite(real(f), buffer, amount, offset);
}
int truncate_file(sqlite3_file* f, sqlite3_int64 size) {
  return methods(f).xTruncate(real(f), size);
}
int sync_file(sqlite3_file* f, int flags) {
  if (self(f)->is_wal) ++faults.wal_syncs;
  return methods(f).xSync(real(f), flags);
}
int file_size(sqlite3_file* f, sqlite3_int64* size) { return methods(f).xFileSize(real(f), size); }
int lock(sqlite3_file* f, int level) { return methods(f).xLock(real(f), level); }
int unlock(sqlite3_file* f, int level) { return methods(f).xUnlock(real(f), level); }
int check_reserved_lock(sqlite3_file* f, int* out) {
  return methods(f).xCheckReservedLock(real(f), out);
}
int file_control(sqlite3_file* f, int op, void* argument) {
  return methods(f).xFileControl(real(f), op, argument);
}
int sector_size(sqlite3_file* f) { return methods(f).xSectorSize(real(f)); }
int device_characteristics(sqlite3_file* f) { return methods(f).xDeviceCharacteristics(real(f)); }
int shm_map(sqlite3_file* f, int page, int page_size, int extend, void volatile** out) {
  return methods(f).xShmMap(real(f), page, page_size, extend, out);
}
int shm_lock(sqlite3_file* f, int offset, int count, int flags) {
  return methods(f).xShmLock(real(f), offset, count, flags);
}
void shm_barrier(sqlite3_file* f) { methods(f).xShmBarrier(real(f)); }
int shm_unmap(sqlite3_file* f, int delete_flag) {
  return methods(f).xShmUnmap(real(f), delete_flag);
}
int fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return methods(f).xFetch(real(f), offset, amount, out);
}
int unfetch(sqlite3_file* f, sqlite3_int64 offset, void* pointer) {
  return methods(f).xUnfetch(real(f), offset, pointer);
}

const sqlite3_io_methods kFaultMethods = {
    3,
    close_file,
    read_file,
    write_file,
    truncate_file,
    sync_file,
    file_size,
    lock,
    unlock,
    check_reserved_lock,
    file_control,
    sector_size,
    device_characteristics,
    shm_map,
    shm_lock,
    shm_barrier,
    shm_unmap,
    fetch,
    unfetch,
};

int open_file(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  FaultFile* wrapper = self(file);
  wrapper->real = reinterpret_cast<sqlite3_file*>(wrapper + 1);
  wrapper->real->pMethods = nullptr;
  wrapper->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
  const int rc = base_vfs->xOpen(base_vfs, name, wrapper->real, flags, out_flags);
  // SQLite calls xClose exactly when pMethods is set, even after a failed open.
  wrapper->base.pMethods = wrapper->real->pMethods != nullptr ? &kFaultMethods : nullptr;
  return rc;
}

void register_fault_vfs() {
  static std::once_flag once;
  std::call_once(once, [] {
    base_vfs = sqlite3_vfs_find(nullptr);
    fault_vfs = *base_vfs;  // every other method is the default VFS's own
    fault_vfs.zName = kVfsName;
    fault_vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + base_vfs->szOsFile;
    fault_vfs.xOpen = open_file;
    fault_vfs.pNext = nullptr;
    sqlite3_vfs_register(&fault_vfs, /*makeDflt=*/0);
  });
}

class SqliteFaultInjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_fault_vfs();
    faults.wal_syncs = 0;
    faults.fail_writes = false;
  }
  void TearDown() override { faults.fail_writes = false; }

  std::unique_ptr<SqliteStore> open() {
    SqliteStoreOptions options;
    options.data_directory = directory_.path();
    options.vfs = kVfsName;
    auto store = SqliteStore::open(options);
    EXPECT_TRUE(ok(store));
    return store ? std::move(*store) : nullptr;
  }

  TempDir directory_ = TempDir::create("pop-fault-test-").value();
};

TEST_F(SqliteFaultInjectionTest, EveryAcknowledgedWriteWasSyncedBeforeReturning) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 20; ++i) {
    const int before = faults.wal_syncs.load();
    ASSERT_TRUE(ok(store->insert_agenda(new_agenda("s" + std::to_string(i)))));
    EXPECT_GT(faults.wal_syncs.load(), before) << "insert " << i << " returned unsynced";
  }
  const int before = faults.wal_syncs.load();
  ASSERT_TRUE(ok(store->update_progress(conformance::progress_of("s0"), std::nullopt)));
  EXPECT_GT(faults.wal_syncs.load(), before);
  // Reads sync nothing.
  const int after_writes = faults.wal_syncs.load();
  ASSERT_TRUE(ok(store->get_agenda("s1")));
  ASSERT_TRUE(ok(store->list_agendas({})));
  EXPECT_EQ(faults.wal_syncs.load(), after_writes);
}

TEST_F(SqliteFaultInjectionTest, FailingDiskGivesUnavailableAndKeepsNothing) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(ok(store->insert_agenda(new_agenda("before", "acme", "k-before"))));

  faults.fail_writes = true;
  EXPECT_TRUE(fails_with(store->insert_agenda(new_agenda("during", "acme", "k-during")),
                         ErrorCode::kUnavailable));
  EXPECT_TRUE(fails_with(
      store->update_progress(
          conformance::progress_of("before", ProcessingState::kComplete, "failed"), std::nullopt),
      ErrorCode::kUnavailable));
  // Reads keep working while writes fail.
  EXPECT_TRUE(ok(store->get_agenda("before")));
  faults.fail_writes = false;

  EXPECT_TRUE(fails_with(store->get_agenda("during"), ErrorCode::kNotFound));
  ASSERT_TRUE(ok(store->insert_agenda(new_agenda("after"))));
  auto progress = store->get_progress("before");
  ASSERT_TRUE(ok(progress));
  EXPECT_EQ(progress->processing_state, ProcessingState::kWaiting);
  // The failed submission's idempotency key was not kept: a retry creates the agenda.
  auto retried = store->insert_agenda(new_agenda("during", "acme", "k-during"));
  ASSERT_TRUE(ok(retried));
  EXPECT_FALSE(retried->replayed);

  store.reset();
  store = open();
  ASSERT_NE(store, nullptr);
  for (const char* id : {"before", "during", "after"}) EXPECT_TRUE(ok(store->get_agenda(id)));
  auto waiting = store->list_waiting_agendas();
  ASSERT_TRUE(ok(waiting));
  EXPECT_EQ(waiting->size(), 3u);
}

TEST_F(SqliteFaultInjectionTest, WriteProbeFailsWhileTheDiskFailsAndRecoversWithIt) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  const int before = faults.wal_syncs.load();
  ASSERT_TRUE(ok(store->probe_write(conformance::at(1))));
  EXPECT_GT(faults.wal_syncs.load(), before) << "a probe is a durable write";
  faults.fail_writes = true;
  EXPECT_TRUE(fails_with(store->probe_write(conformance::at(2)), ErrorCode::kUnavailable));
  faults.fail_writes = false;
  EXPECT_TRUE(ok(store->probe_write(conformance::at(3))));
}

}  // namespace
}  // namespace pop::store::sqlite
