#include "puller/attempt_log_shipper.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "puller/stub_work_source.h"
#include "util/temp_dir.h"

namespace pop::puller {
namespace {

// A server's side of append_log: a chunk lands where the copy ends. It can lose its answers
// (the chunk is stored, the puller hears kUnavailable) or refuse as for a lease that is gone.
class LogServer final : public StubWorkSource {
 public:
  Result<LogChunkAnswer> append_log(const std::string&, std::uint64_t, const std::string& key,
                                    const LogChunk& chunk) override {
    ++calls;
    if (key != "key") return fail(ErrorCode::kConflict, "lease not held");
    if (unreachable) return fail(ErrorCode::kUnavailable, "server away");
    std::string& log = logs[{chunk.operation, chunk.attempt}];
    if (chunk.offset == log.size() && !ended[{chunk.operation, chunk.attempt}]) {
      log += chunk.bytes;
      ended[{chunk.operation, chunk.attempt}] = chunk.ended;
    }
    if (lose_answers > 0) {
      --lose_answers;
      return fail(ErrorCode::kUnavailable, "answer lost");
    }
    return LogChunkAnswer{log.size(), false};
  }

  std::string log(const std::string& operation, int attempt) { return logs[{operation, attempt}]; }
  bool ended_log(const std::string& operation, int attempt) { return ended[{operation, attempt}]; }

  std::map<std::pair<std::string, int>, std::string> logs;
  std::map<std::pair<std::string, int>, bool> ended;
  int calls = 0;
  int lose_answers = 0;
  bool unreachable = false;
};

class AttemptLogShipperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = TempDir::create("pop-shipper-test-");
    ASSERT_TRUE(directory.has_value()) << directory.error().message;
    directory_ = std::move(*directory);
    shipper_ = shipper({"agenda", 1, "key"}, "1-");
  }

  std::unique_ptr<AttemptLogShipper> shipper(LogLease lease, const std::string& prefix) {
    return std::make_unique<AttemptLogShipper>(server_, std::move(lease), directory_->path(),
                                               prefix, 4);
  }

  static void write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path, std::ios::app) << text;
  }

  LogServer server_;
  std::optional<TempDir> directory_;  // before the shippers, whose files are in it
  std::unique_ptr<AttemptLogShipper> shipper_;
};

TEST_F(AttemptLogShipperTest, ShipsWhatTheFileGainsInChunksAndEndsTheLog) {
  const auto path = shipper_->track("build", 1);
  shipper_->ship_running();  // no file yet: the log is announced, empty
  EXPECT_EQ(server_.log("build", 1), "");
  write(path, "first line\n");
  shipper_->ship_running();
  EXPECT_EQ(server_.log("build", 1), "first line\n");
  write(path, "second\n");
  ASSERT_TRUE(shipper_->finish("build", 1).has_value());
  EXPECT_EQ(server_.log("build", 1), "first line\nsecond\n");
  EXPECT_TRUE(server_.ended_log("build", 1));
  EXPECT_FALSE(std::filesystem::exists(path));
}

// A quick silent attempt (ended before the first round, nothing written) costs the server no
// write; one that was announced while it ran keeps its empty, ended log.
TEST_F(AttemptLogShipperTest, ASilentAttemptEndedBeforeItsFirstRoundKeepsNoLog) {
  const auto quiet = shipper_->track("noop", 1);
  write(quiet, "");
  ASSERT_TRUE(shipper_->finish("noop", 1).has_value());
  EXPECT_EQ(server_.calls, 0);
  EXPECT_FALSE(std::filesystem::exists(quiet));

  shipper_->track("slow", 1);
  shipper_->ship_running();
  ASSERT_TRUE(shipper_->finish("slow", 1).has_value());
  EXPECT_EQ(server_.calls, 2);
  EXPECT_TRUE(server_.ended_log("slow", 1));
}

TEST_F(AttemptLogShipperTest, AfterLostAnswersAndAnOutageItResumesWithoutLossOrRepeat) {
  const auto path = shipper_->track("build", 2);
  write(path, "0123456789abcdef\n");
  server_.lose_answers = 1;  // stored, but the puller does not hear it
  shipper_->ship_running();
  server_.unreachable = true;
  write(path, "more\n");
  shipper_->ship_running();
  auto away = shipper_->finish("build", 2);
  ASSERT_FALSE(away.has_value());
  EXPECT_EQ(away.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(std::filesystem::exists(path)) << "kept for the next try";
  server_.unreachable = false;
  ASSERT_TRUE(shipper_->finish("build", 2).has_value());
  EXPECT_EQ(server_.log("build", 2), "0123456789abcdef\nmore\n");
}

TEST_F(AttemptLogShipperTest, ADestroyedShipperLeavesNoFileBehind) {
  auto other = shipper({"other", 1, "key"}, "2-");
  const auto running = other->track("build", 1);
  write(running, "cut short\n");
  const auto ours = shipper_->track("build", 1);
  write(ours, "ours\n");
  EXPECT_NE(running, ours) << "each shipper names its files apart";
  other.reset();
  EXPECT_FALSE(std::filesystem::exists(running));
  EXPECT_TRUE(std::filesystem::exists(ours));
}

TEST_F(AttemptLogShipperTest, AFencedOffHolderShipsNoMore) {
  auto created = shipper({"agenda", 1, "stale key"}, "3-");
  const auto path = created->track("build", 1);
  write(path, "lost lease\n");
  created->ship_running();
  const int calls = server_.calls;
  EXPECT_EQ(calls, 1);
  created->ship_running();
  auto finished = created->finish("build", 1);
  EXPECT_TRUE(finished.has_value()) << "nothing more to send";
  EXPECT_EQ(server_.calls, calls);
  EXPECT_TRUE(server_.logs.empty());
}

}  // namespace
}  // namespace pop::puller
