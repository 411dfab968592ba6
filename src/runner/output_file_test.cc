#include "runner/output_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "util/temp_dir.h"

namespace pop {
namespace {

class OutputFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("pop-output-file-test-");
    ASSERT_TRUE(dir) << dir.error().message;
    dir_.emplace(std::move(*dir));
  }
  std::filesystem::path write(const std::string& text) const {
    const auto path = dir_->path() / "output.json";
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  std::optional<TempDir> dir_;
};

TEST_F(OutputFileTest, AbsentEmptyOrBlankIsNull) {
  EXPECT_EQ(read_output_file(dir_->path() / "none.json", 100), nullptr);
  EXPECT_EQ(read_output_file(write(""), 100), nullptr);
  EXPECT_EQ(read_output_file(write(" \n\t"), 100), nullptr);
}

TEST_F(OutputFileTest, ParsesJson) {
  const auto output = read_output_file(write(R"({"a": [1, "two"]})"), 100);
  ASSERT_TRUE(output) << output.error().message;
  EXPECT_EQ(*output, nlohmann::json::parse(R"({"a": [1, "two"]})"));
}

TEST_F(OutputFileTest, InvalidJsonSaysSo) {
  const auto output = read_output_file(write(R"({"a": )"), 100);
  ASSERT_FALSE(output);
  EXPECT_TRUE(output.error().message.starts_with("output file is not valid JSON: "))
      << output.error().message;
}

TEST_F(OutputFileTest, OverTheLimitIsRejectedWithoutParsing) {
  const auto output = read_output_file(write("[" + std::string(200, ' ') + "]"), 100);
  ASSERT_FALSE(output);
  EXPECT_EQ(output.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(output.error().message, "output file is larger than the limit of 100 bytes");
}

TEST_F(OutputFileTest, TooDeepIsRejected) {
  const std::string deep =
      std::string(kMaxOutputDepth + 1, '[') + std::string(kMaxOutputDepth + 1, ']');
  const auto output = read_output_file(write(deep), 1000);
  ASSERT_FALSE(output);
  EXPECT_EQ(output.error().code, ErrorCode::kTooLarge);
}

TEST_F(OutputFileTest, DirectoryIsNotAnOutput) {
  std::filesystem::create_directory(dir_->path() / "output.json");
  const auto output = read_output_file(dir_->path() / "output.json", 100);
  ASSERT_FALSE(output);
  EXPECT_EQ(output.error().message, "output file is not a regular file");
}

TEST_F(OutputFileTest, FifoIsRejectedWithoutBlocking) {
  const auto path = dir_->path() / "fifo.json";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto output = read_output_file(path, 100);  // would hang forever if opened blocking
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().message, "output file is not a regular file");
}

TEST_F(OutputFileTest, SymlinkIsNotFollowed) {
  const auto target = write(R"({"secret": 1})");
  const auto link = dir_->path() / "link.json";
  std::filesystem::create_symlink(target, link);
  auto output = read_output_file(link, 100);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().message, "output file is not a regular file");
}

}  // namespace
}  // namespace pop
