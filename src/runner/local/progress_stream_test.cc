#include "runner/local/progress_stream.h"

#include <gtest/gtest.h>

namespace pop {
namespace {

using Reports = std::vector<std::pair<double, std::string>>;

Reports flatten(const std::vector<ProgressStream::Report>& reports) {
  Reports flat;
  for (const auto& report : reports) flat.emplace_back(report.percent_complete, report.message);
  return flat;
}

TEST(ProgressStreamTest, ParsesCompleteLines) {
  ProgressStream stream;
  EXPECT_EQ(flatten(stream.feed(R"({"percentComplete": 10, "message": "ten"})"
                                "\n"
                                R"({"percentComplete": 20.5})"
                                "\n")),
            (Reports{{10, "ten"}, {20.5, ""}}));
}

TEST(ProgressStreamTest, JoinsLinesThatArriveInPieces) {
  ProgressStream stream;
  EXPECT_TRUE(stream.feed(R"({"percentCom)").empty());
  EXPECT_TRUE(stream.feed(R"(plete": 42, "mess)").empty());
  EXPECT_EQ(flatten(stream.feed("age\": \"x\"}\n{\"percentComplete\": 1}")), (Reports{{42, "x"}}));
  EXPECT_EQ(flatten(stream.finish()), (Reports{{1, ""}}));
}

TEST(ProgressStreamTest, IgnoresLinesThatAreNotReports) {
  ProgressStream stream;
  const auto reports = stream.feed(
      "plain text\n"
      "\n"
      "[1, 2]\n"
      R"({"message": "no percent"})"
      "\n"
      R"({"percentComplete": "50"})"
      "\n"
      R"({"percentComplete": 60, "message": 7})"
      "\n");
  EXPECT_EQ(flatten(reports), (Reports{{60, ""}}));
}

TEST(ProgressStreamTest, ClampsPercentToTheValidRange) {
  ProgressStream stream;
  EXPECT_EQ(flatten(stream.feed("{\"percentComplete\": -5}\n{\"percentComplete\": 1e9}\n")),
            (Reports{{0, ""}, {100, ""}}));
}

TEST(ProgressStreamTest, SkipsAnOverlongLineAndRecovers) {
  ProgressStream stream;
  const std::string huge(ProgressStream::kMaxLineBytes, ' ');
  EXPECT_TRUE(stream.feed(R"({"percentComplete": 5, "message": ")").empty());
  EXPECT_TRUE(stream.feed(huge).empty());
  EXPECT_TRUE(stream.feed(huge).empty());
  EXPECT_EQ(flatten(stream.feed("\"}\n{\"percentComplete\": 7}\n")), (Reports{{7, ""}}));
}

}  // namespace
}  // namespace pop
