// End to end: what `pop server` does with its data directory before it serves, against real
// processes: private permissions whatever the umask, one server per directory, and no fresh
// start over a directory that lost its database (docs/server.md, "The data directory").
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "testing/file_contents.h"
#include "testing/pop_server.h"
#include "util/temp_dir.h"

namespace pop::server {
using Json = nlohmann::json;

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using pop::testing::mode_of;

// Sets the process umask for the lifetime of the object (children started meanwhile inherit
// it), then puts the old one back.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t old_;
};

// Every entry under `root` (and root itself) whose mode lets group or others in, with its mode.
std::vector<std::string> open_to_others(const fs::path& root) {
  std::vector<std::string> found;
  auto check = [&](const fs::path& path) {
    const mode_t mode = mode_of(path);
    if ((mode & 077) != 0) {
      std::ostringstream line;
      line << path.string() << " " << std::oct << mode;
      found.push_back(line.str());
    }
  };
  check(root);
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_symlink()) check(entry.path());
  }
  return found;
}

// The exit status of `process` if it ends within `limit`; else it is killed and nullopt.
std::optional<testing::ProcessResult> ends_within(testing::Subprocess& process,
                                                  std::chrono::milliseconds limit) {
  const auto zombie = [&] {
    std::ifstream stat("/proc/" + std::to_string(process.pid()) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto paren = text.rfind(')');
    return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] == 'Z';
  };
  if (testing::eventually(zombie, limit)) return process.wait();
  process.signal(SIGKILL);
  process.wait();
  return std::nullopt;
}

class DataDirectoryTest : public ::testing::Test {
 protected:
  fs::path data() const { return dir_.path() / "data"; }
  std::string scratch() const { return dir_.path().string(); }

  std::unique_ptr<testing::PopServer> start(const std::vector<std::string>& arguments = {}) {
    return std::make_unique<testing::PopServer>(data().string(), scratch(), arguments);
  }

  // `pop server` on data(), expected to refuse to start: its exit status and stderr.
  std::optional<testing::ProcessResult> refused_start() {
    testing::Subprocess process(
        {POP_BINARY, "server", "--listen", "127.0.0.1:0", "--data", data().string()}, {},
        scratch());
    return ends_within(process, 15s);
  }

  TempDir dir_ = TempDir::create("pop-data-dir-").value();
};

TEST_F(DataDirectoryTest, EverythingIsPrivateWhateverTheUmaskAndAnOpenDirectoryIsTightened) {
  ScopedUmask permissive(022);
  fs::create_directories(data());
  fs::permissions(data(), fs::perms(0755));
  {
    auto server = start();
    auto client = server->client();
    // Writes enough that SQLite has made its -wal and -shm files.
    auto submitted = client.request("POST", "/v1/agendas",
                                    R"({"operations": [{"name": "a", "type": "sample"}]})", {});
    ASSERT_TRUE(submitted.has_value());
    EXPECT_EQ(submitted->status, 201);
    EXPECT_TRUE(fs::exists(data() / "pop.db-wal"));
    EXPECT_TRUE(fs::exists(data() / "pop.db-shm"));
    EXPECT_EQ(open_to_others(data()), std::vector<std::string>{});
    EXPECT_EQ(mode_of(data()), 0700u);
    EXPECT_EQ(mode_of(data() / "pop.db"), 0600u);
    EXPECT_NE(server->stderr_so_far().find("tightened"), std::string::npos)
        << "the 0755 directory it found is named: " << server->stderr_so_far();
    EXPECT_EQ(server->stop().exit_status, 0);
  }

  // A directory an older server left open to others: opened up again, then tightened at start,
  // with one line on stderr saying what changed.
  fs::permissions(data(), fs::perms(0755));
  for (const auto& entry : fs::recursive_directory_iterator(data()))
    fs::permissions(entry.path(), entry.is_directory() ? fs::perms(0755) : fs::perms(0644));
  auto server = start();
  EXPECT_EQ(open_to_others(data()), std::vector<std::string>{});
  const std::string err = server->stderr_so_far();
  EXPECT_NE(err.find("tightened"), std::string::npos) << err;
  EXPECT_NE(err.find("pop.db"), std::string::npos) << err;
  EXPECT_NE(err.find("admin.token"), std::string::npos) << err;
  EXPECT_EQ(server->stop().exit_status, 0);
}

// The pids of `pid`'s children, read from /proc.
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> children;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream list(task.path() / "children");
    for (pid_t child = 0; list >> child;) children.push_back(child);
  }
  return children;
}

TEST_F(DataDirectoryTest, ASecondServerExitsNamingTheHolderAndTouchesNothing) {
  auto first = start();
  auto client = first->client();
  // A handler that runs long enough to be running while the second server tries.
  auto submitted = client.request("POST", "/v1/agendas", R"({"operations": [{"name": "long",
      "type": "sample", "payload": {"actions": [{"action": "log",
      "paramsMap": {"logMessage": "waiting", "sleepMilliseconds": 60000}}]}}]})",
                                  {});
  ASSERT_TRUE(submitted.has_value());
  ASSERT_EQ(submitted->status, 201) << submitted->body;
  const fs::path work = data() / "work";
  ASSERT_TRUE(testing::eventually(
      [&] { return fs::exists(work) && !fs::is_empty(work) && !children_of(first->pid()).empty(); },
      20s));
  std::vector<fs::path> attempts;
  for (const auto& entry : fs::directory_iterator(work)) attempts.push_back(entry.path());
  const std::vector<pid_t> handlers = children_of(first->pid());

  auto second = refused_start();
  ASSERT_TRUE(second.has_value()) << "a second server started on the same data directory";
  EXPECT_EQ(second->exit_status, 2) << second->err;
  EXPECT_NE(second->err.find(fs::absolute(data()).string()), std::string::npos) << second->err;
  EXPECT_NE(second->err.find("pid " + std::to_string(first->pid())), std::string::npos)
      << second->err;
  for (const fs::path& attempt : attempts)
    EXPECT_TRUE(fs::exists(attempt)) << attempt << " was removed under the running handler";
  auto health = client.request("GET", "/healthz", "", {});
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);

  // kill -9 of the holder: the kernel drops the lock, and a new server starts at once, even
  // while the orphaned handler still runs.
  ::kill(first->pid(), SIGKILL);
  first.reset();  // reaps it
  auto third = start();
  auto answered = third->client().request("GET", "/healthz", "", {});
  ASSERT_TRUE(answered.has_value());
  EXPECT_EQ(answered->status, 200);
  EXPECT_EQ(third->stop().exit_status, 0);
  for (pid_t handler : handlers) ::kill(-handler, SIGKILL);  // each leads its process group
}

TEST_F(DataDirectoryTest, ADirectoryThatLostItsDatabaseIsNotStartedAfresh) {
  start()->stop();
  ASSERT_TRUE(fs::exists(data() / "admin.token"));
  for (const char* file : {"pop.db-wal", "pop.db-shm"}) fs::remove(data() / file);

  fs::resize_file(data() / "pop.db", 0);  // e.g. a restore that failed half-way
  auto empty = refused_start();
  ASSERT_TRUE(empty.has_value()) << "a server started over an empty pop.db beside admin.token";
  EXPECT_EQ(empty->exit_status, 2) << empty->err;
  EXPECT_NE(empty->err.find("pop.db"), std::string::npos) << empty->err;
  EXPECT_NE(empty->err.find("admin.token"), std::string::npos) << empty->err;
  EXPECT_EQ(fs::file_size(data() / "pop.db"), 0u) << "nothing was written over it";

  fs::remove(data() / "pop.db");
  auto missing = refused_start();
  ASSERT_TRUE(missing.has_value()) << "a server started with pop.db gone beside admin.token";
  EXPECT_EQ(missing->exit_status, 2) << missing->err;
  EXPECT_FALSE(fs::exists(data() / "pop.db"));
}

}  // namespace
}  // namespace pop::server
