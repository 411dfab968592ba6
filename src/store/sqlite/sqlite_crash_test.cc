// Durability under kill -9: a child process writes agendas from several threads and reports
// each acknowledged id through a pipe; the test kills it mid-stream with SIGKILL, reopens
// the database and checks that every acknowledged agenda is there, intact. Repeated so that
// each round also recovers the write-ahead log the previous kill left behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "store/conformance/store_fixture.h"
#include "store/sqlite/sqlite_store.h"
#include "util/temp_dir.h"

namespace pop::store::sqlite {
namespace {

using conformance::agenda_document;
using conformance::new_agenda;
using conformance::ok;

// Fixed-size records no larger than PIPE_BUF, so concurrent writes never interleave.
constexpr std::size_t kRecord = 48;

[[noreturn]] void write_until_killed(const SqliteStoreOptions& options, int round, int pipe_out) {
  auto store = SqliteStore::open(options);
  if (!store) _exit(2);
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        const std::string id =
            "r" + std::to_string(round) + "-t" + std::to_string(t) + "-" + std::to_string(i);
        NewAgenda agenda = new_agenda(id, "acme", "key-" + id);
        if (!(*store)->insert_agenda(agenda)) _exit(3);
        std::array<char, kRecord> record{};
        std::memcpy(record.data(), id.data(), id.size());
        if (write(pipe_out, record.data(), record.size()) != static_cast<ssize_t>(kRecord)) {
          _exit(4);
        }
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  _exit(0);  // not reached: the writers run until the parent kills the process
}

// Forks a writer, kills it with SIGKILL after `acknowledged_before_kill` acknowledgements,
// and returns every id it acknowledged.
std::vector<std::string> run_and_kill(const SqliteStoreOptions& options, int round,
                                      std::size_t acknowledged_before_kill) {
  int fds[2];
  if (pipe(fds) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return {};
  }
  const pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    write_until_killed(options, round, fds[1]);
  }
  close(fds[1]);
  std::vector<std::string> acknowledged;
  std::array<char, kRecord> record{};
  std::size_t filled = 0;
  bool killed = false;
  while (true) {
    const ssize_t got = read(fds[0], record.data() + filled, kRecord - filled);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // EOF: the child is gone and the pipe drained
    filled += static_cast<std::size_t>(got);
    if (filled < kRecord) continue;
    acknowledged.emplace_back(record.data());
    filled = 0;
    if (!killed && acknowledged.size() >= acknowledged_before_kill) {
      kill(child, SIGKILL);  // mid-stream: the writers are busy inserting
      killed = true;
    }
  }
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the writer exited by itself with status " << status;
  return acknowledged;
}

TEST(SqliteCrash, KillNineLosesNothingAcknowledged) {
  TempDir directory = TempDir::create("pop-crash-test-").value();
  SqliteStoreOptions options;
  options.data_directory = directory.path();
  std::vector<std::string> all;
  for (int round = 0; round < 3; ++round) {
    std::vector<std::string> acknowledged = run_and_kill(options, round, 150);
    ASSERT_GE(acknowledged.size(), 150u);
    all.insert(all.end(), acknowledged.begin(), acknowledged.end());

    auto store = SqliteStore::open(options);
    ASSERT_TRUE(ok(store));
    for (const std::string& id : all) {
      auto agenda = (*store)->get_agenda(id);
      ASSERT_TRUE(ok(agenda)) << "acknowledged agenda " << id << " lost in round " << round;
      EXPECT_EQ(agenda->document, agenda_document(id));
      auto progress = (*store)->get_progress(id);
      ASSERT_TRUE(ok(progress)) << id;
      EXPECT_EQ(progress->document, new_agenda(id).progress.document);
      // The idempotency key survived with it.
      auto replay = (*store)->insert_agenda(new_agenda("other", "acme", "key-" + id));
      ASSERT_TRUE(ok(replay));
      EXPECT_TRUE(replay->replayed);
      EXPECT_EQ(replay->agenda_id, id);
    }
  }
  // The database is consistent after three kills.
  auto store = SqliteStore::open(options);
  ASSERT_TRUE(ok(store));
  auto waiting = (*store)->list_waiting_agendas();
  ASSERT_TRUE(ok(waiting));
  EXPECT_GE(waiting->size(), all.size());
  store->reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((directory.path() / "pop.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* check = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &check, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(check), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(check, 0)), "ok");
  sqlite3_finalize(check);
  sqlite3_close(db);
}

}  // namespace
}  // namespace pop::store::sqlite
