#include "runner/log_sink.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "testing/file_contents.h"
#include "util/temp_dir.h"

namespace pop {
namespace {

using pop::testing::read_file;

class LogSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("pop-log-sink-test-");
    ASSERT_TRUE(dir) << dir.error().message;
    dir_.emplace(std::move(*dir));
  }
  std::filesystem::path path() const { return dir_->path() / "attempt.log"; }

  std::optional<TempDir> dir_;
};

TEST_F(LogSinkTest, WritesEverythingUnderTheLimit) {
  auto log = LogSink::open(path(), 100, 100);
  ASSERT_TRUE(log) << log.error().message;
  log->append("hello ");
  log->append("world\n");
  log->close();
  EXPECT_EQ(read_file(path()), "hello world\n");
  EXPECT_EQ(log->tail(), "hello world\n");
}

// A handler's output can hold secrets: its file is the owner's alone, even under umask 0.
TEST_F(LogSinkTest, TheFileIsTheOwnersAloneWhateverTheUmask) {
  const mode_t previous = ::umask(0);
  auto log = LogSink::open(path(), 100, 100);
  ::umask(previous);
  ASSERT_TRUE(log) << log.error().message;
  EXPECT_EQ(std::filesystem::status(path()).permissions(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(LogSinkTest, ExactlyReachingTheLimitIsNotTruncation) {
  auto log = LogSink::open(path(), 6, 100);
  ASSERT_TRUE(log);
  log->append("12345\n");
  log->close();
  EXPECT_EQ(read_file(path()), "12345\n");
}

TEST_F(LogSinkTest, MarksTheCapOnItsOwnLineAndWritesNothingAfter) {
  auto log = LogSink::open(path(), 8, 6);
  ASSERT_TRUE(log);
  log->append("line one\nline two\n");
  log->append("line three\n");
  log->close();
  EXPECT_EQ(read_file(path()), "line one\n[pop: log truncated after 8 bytes]\n");
  EXPECT_EQ(log->tail(), "three\n");
}

TEST_F(LogSinkTest, StartsTheMarkerOnANewLine) {
  auto log = LogSink::open(path(), 4, 4);
  ASSERT_TRUE(log);
  log->append("abcdef");
  log->close();
  EXPECT_EQ(read_file(path()), "abcd\n[pop: log truncated after 4 bytes]\n");
}

TEST_F(LogSinkTest, TailFollowsManySmallAppends) {
  auto log = LogSink::open({}, 0, 5);
  ASSERT_TRUE(log);
  for (char c = 'a'; c <= 'z'; ++c) log->append(std::string(1, c));
  EXPECT_EQ(log->tail(), "vwxyz");
  log->append(std::string(1000, 'x') + "end");
  EXPECT_EQ(log->tail(), "xxend");
}

TEST_F(LogSinkTest, TailDoesNotStartInsideAUtf8Character) {
  auto log = LogSink::open({}, 0, 4);
  ASSERT_TRUE(log);
  log->append("\xc3\xa9\xc3\xa9\xc3\xa9");  // "ééé": the last 4 bytes cut the first é
  EXPECT_EQ(log->tail(), "\xc3\xa9\xc3\xa9");
  log->append("a");  // the last 4 bytes now start in the middle of the second é
  EXPECT_EQ(log->tail(),
            "\xc3\xa9"
            "a");
}

TEST_F(LogSinkTest, DiscardRemovesTheFile) {
  auto log = LogSink::open(path(), 100, 100);
  ASSERT_TRUE(log);
  EXPECT_TRUE(std::filesystem::exists(path()));
  log->discard();
  EXPECT_FALSE(std::filesystem::exists(path()));
}

TEST_F(LogSinkTest, UncreatableFileIsUnavailable) {
  const auto log = LogSink::open(dir_->path() / "missing" / "attempt.log", 100, 100);
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(log.error().message.find("missing/attempt.log"), std::string::npos);
}

}  // namespace
}  // namespace pop

namespace pop {
namespace {

TEST(LogSinkUtf8, TailIsAlwaysValidUtf8) {
  auto sink = LogSink::open("", 1024, 64);
  ASSERT_TRUE(sink.has_value());
  sink->append("binary \xFF\xFE garbage\n");
  EXPECT_EQ(sink->tail(), "binary \xEF\xBF\xBD\xEF\xBF\xBD garbage\n");
}

}  // namespace
}  // namespace pop
