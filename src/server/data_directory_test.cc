#include "server/data_directory.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "testing/file_contents.h"
#include "util/temp_dir.h"

namespace pop::server {
namespace {

namespace fs = std::filesystem;
using pop::testing::mode_of;

class DataDirectoryClaimTest : public ::testing::Test {
 protected:
  void SetUp() override { old_mask_ = ::umask(0); }  // the most permissive umask
  void TearDown() override { ::umask(old_mask_); }

  fs::path data() const { return dir_.path() / "data"; }

  TempDir dir_ = TempDir::create("pop-claim-").value();
  mode_t old_mask_ = 0;
};

TEST_F(DataDirectoryClaimTest, ANewDirectoryIsPrivateAndLockedWithThePid) {
  auto claimed = DataDirectory::claim(data() / "", "pop.db");
  ASSERT_TRUE(claimed.has_value()) << claimed.error().message;
  EXPECT_EQ(claimed->path(), data());
  EXPECT_EQ(mode_of(data()), 0700u);
  EXPECT_EQ(mode_of(data() / "pop.lock"), 0600u);
  EXPECT_TRUE(claimed->tightened().empty());
  pid_t pid = 0;
  std::ifstream(data() / "pop.lock") >> pid;
  EXPECT_EQ(pid, ::getpid());

  // The lock's descriptor is not inherited by what the server starts.
  int lock_fds = 0;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    if (fs::read_symlink(entry.path(), error) != data() / "pop.lock") continue;
    ++lock_fds;
    EXPECT_NE(::fcntl(std::stoi(entry.path().filename().string()), F_GETFD) & FD_CLOEXEC, 0);
  }
  EXPECT_EQ(lock_fds, 1);
}

TEST_F(DataDirectoryClaimTest, ASecondClaimIsRefusedUntilTheFirstEnds) {
  auto first = DataDirectory::claim(data(), "pop.db");
  ASSERT_TRUE(first.has_value());
  auto second = DataDirectory::claim(data(), "pop.db");
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::kConflict);
  EXPECT_EQ(second.error().message,
            "data directory " + data().string() + " is in use by another pop server (pid " +
                std::to_string(::getpid()) + "); stop it first, or give this one another --data");
  first = fail(Error{});  // releases the lock
  EXPECT_TRUE(DataDirectory::claim(data(), "pop.db").has_value());
}

// A replica restarted on its directory is the same replica (it takes its own pools back).
TEST_F(DataDirectoryClaimTest, TheReplicaIdIsKeptAcrossClaims) {
  std::string id;
  {
    auto first = DataDirectory::claim(data(), "");
    ASSERT_TRUE(first.has_value());
    auto created = first->replica_id();
    ASSERT_TRUE(created.has_value()) << created.error().message;
    id = *created;
    EXPECT_EQ(id.size(), 36u) << id;
  }
  auto again = DataDirectory::claim(data(), "");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->replica_id().value_or(""), id);
}

TEST_F(DataDirectoryClaimTest, ADirectoryThatLostItsDatabaseIsRefused) {
  fs::create_directories(data());
  EXPECT_TRUE(DataDirectory::claim(data(), "pop.db").has_value()) << "new: nothing to lose";
  std::ofstream(data() / "admin.token") << "t\n";
  auto missing = DataDirectory::claim(data(), "pop.db");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kConflict);
  EXPECT_NE(missing.error().message.find("pop.db is missing"), std::string::npos)
      << missing.error().message;
  EXPECT_NE(missing.error().message.find("(admin.token)"), std::string::npos);
  ASSERT_EQ(missing.error().details.size(), 1u);

  std::ofstream(data() / "pop.db").close();
  fs::create_directories(data() / "work");
  auto empty = DataDirectory::claim(data(), "pop.db");
  ASSERT_FALSE(empty.has_value());
  EXPECT_NE(empty.error().message.find("(admin.token, work) but its database pop.db is empty"),
            std::string::npos)
      << empty.error().message;

  // Data that is still in the write-ahead log is SQLite's to recover.
  std::ofstream(data() / "pop.db-wal") << "frames";
  EXPECT_TRUE(DataDirectory::claim(data(), "pop.db").has_value());
  fs::remove(data() / "pop.db-wal");
  std::ofstream(data() / "pop.db") << "SQLite format 3";
  EXPECT_TRUE(DataDirectory::claim(data(), "pop.db").has_value());
}

TEST_F(DataDirectoryClaimTest, WhatIsOpenIsTightenedAndListedButLinksAreNotFollowed) {
  fs::create_directories(data() / "sub");
  std::ofstream(data() / "a") << "a";
  std::ofstream(data() / "sub" / "b") << "b";
  std::ofstream(dir_.path() / "outside") << "o";
  fs::permissions(data(), fs::perms(0755));
  fs::permissions(data() / "sub", fs::perms(0777));
  fs::permissions(data() / "a", fs::perms(0644));
  fs::permissions(data() / "sub" / "b", fs::perms(0604));
  fs::permissions(dir_.path() / "outside", fs::perms(0644));
  fs::create_symlink(dir_.path() / "outside", data() / "link");

  auto claimed = DataDirectory::claim(data(), "pop.db");
  ASSERT_TRUE(claimed.has_value()) << claimed.error().message;
  std::vector<std::string> tightened = claimed->tightened();
  std::sort(tightened.begin(), tightened.end());
  EXPECT_EQ(tightened, (std::vector<std::string>{".", "a", "sub", "sub/b"}));
  EXPECT_EQ(mode_of(data()), 0700u);
  EXPECT_EQ(mode_of(data() / "sub"), 0700u);
  EXPECT_EQ(mode_of(data() / "a"), 0600u);
  EXPECT_EQ(mode_of(data() / "sub" / "b"), 0600u);
  EXPECT_EQ(mode_of(dir_.path() / "outside"), 0644u);
  EXPECT_EQ(describe_entries({"a", "b"}), "a, b");
  EXPECT_EQ(describe_entries({"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}),
            "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more");
}

// work/ is the tree of a killed predecessor's handlers, some maybe still running, and the
// server replaces it at once: only the directory itself is closed, nothing in it is touched.
TEST_F(DataDirectoryClaimTest, TheWorkDirectoryIsClosedButNotWalked) {
  fs::create_directories(data() / "work" / "attempt");
  std::ofstream(data() / "work" / "attempt" / "output.json") << "{}";
  fs::permissions(data() / "work", fs::perms(0755));
  fs::permissions(data() / "work" / "attempt", fs::perms(0777));
  fs::permissions(data() / "work" / "attempt" / "output.json", fs::perms(0644));
  std::ofstream(data() / "pop.db") << "SQLite format 3";
  fs::permissions(data() / "pop.db", fs::perms(0600));
  fs::permissions(data(), fs::perms(0700));

  auto claimed = DataDirectory::claim(data(), "pop.db");
  ASSERT_TRUE(claimed.has_value()) << claimed.error().message;
  EXPECT_EQ(claimed->tightened(), std::vector<std::string>{"work"});
  EXPECT_EQ(mode_of(data() / "work"), 0700u);
  EXPECT_EQ(mode_of(data() / "work" / "attempt"), 0777u);
  EXPECT_EQ(mode_of(data() / "work" / "attempt" / "output.json"), 0644u);
}

// A linked directory is not entered, whatever its name.
TEST_F(DataDirectoryClaimTest, ALinkedDirectoryIsNotEntered) {
  fs::create_directories(dir_.path() / "elsewhere");
  std::ofstream(dir_.path() / "elsewhere" / "file") << "f";
  fs::permissions(dir_.path() / "elsewhere", fs::perms(0755));
  fs::permissions(dir_.path() / "elsewhere" / "file", fs::perms(0644));
  fs::create_directories(data());
  fs::permissions(data(), fs::perms(0700));
  fs::create_directory_symlink(dir_.path() / "elsewhere", data() / "linked");

  auto claimed = DataDirectory::claim(data(), "pop.db");
  ASSERT_TRUE(claimed.has_value()) << claimed.error().message;
  EXPECT_EQ(claimed->tightened(), std::vector<std::string>{});
  EXPECT_EQ(mode_of(dir_.path() / "elsewhere"), 0755u);
  EXPECT_EQ(mode_of(dir_.path() / "elsewhere" / "file"), 0644u);
}

// Names in the data directory are anybody's with write access to it (a handler's, say):
// printed as they are, one could start a forged log line.
TEST(DescribeEntries, EscapesWhatCouldForgeALogLine) {
  EXPECT_EQ(describe_entries({"a\npop server: forged", "b\x1b[2J"}),
            "a\\npop server: forged, b\\x1b[2J");
}

TEST_F(DataDirectoryClaimTest, AFreshSubdirectoryIsEmptyAndPrivate) {
  auto claimed = DataDirectory::claim(data(), "pop.db");
  ASSERT_TRUE(claimed.has_value());
  fs::create_directories(data() / "work" / "old-attempt");
  auto work = claimed->fresh_subdirectory("work");
  ASSERT_TRUE(work.has_value()) << work.error().message;
  EXPECT_EQ(*work, data() / "work");
  EXPECT_TRUE(fs::is_empty(*work));
  EXPECT_EQ(mode_of(*work), 0700u);
}

}  // namespace
}  // namespace pop::server
