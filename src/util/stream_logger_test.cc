#include "util/stream_logger.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

namespace pop {
namespace {

// What was written to `file` so far.
std::string contents(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string text;
  char buffer[4096];
  while (std::size_t read = std::fread(buffer, 1, sizeof buffer, file)) text.append(buffer, read);
  return text;
}

struct Streams {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> out{std::tmpfile(), &std::fclose};
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> err{std::tmpfile(), &std::fclose};
};

TEST(StreamLogger, TextGoesToTheStreamOfItsLevelWithFieldsAsKeyValues) {
  Streams streams;
  StreamLogger logger("pop server", LogFormat::kText, LogLevel::kInfo, streams.out.get(),
                      streams.err.get());
  logger.info("listening on http://127.0.0.1:8080");
  logger.warning("agenda stored but not queued", {{"agenda", "a-1"}, {"error", "disk \"full\""}});
  logger.log(LogLevel::kDebug, "dropped below the minimum", {});
  EXPECT_EQ(contents(streams.out.get()), "pop server: listening on http://127.0.0.1:8080\n");
  EXPECT_EQ(contents(streams.err.get()),
            "pop server: agenda stored but not queued agenda=a-1 error=\"disk \\\"full\\\"\"\n");
}

TEST(StreamLogger, RequestDataCannotForgeALine) {
  Streams streams;
  StreamLogger logger("pop server", LogFormat::kText, LogLevel::kInfo, streams.out.get(),
                      streams.err.get());
  logger.error("refused\npop server: forged", {{"path", "/v1\r\n\x1b[2J"}});
  EXPECT_EQ(contents(streams.err.get()),
            "pop server: refused\\npop server: forged path=/v1\\r\\n\\x1b[2J\n");
}

TEST(StreamLogger, JsonIsOneObjectPerLineOnStandardError) {
  Streams streams;
  ManualClock clock;
  StreamLogger logger("pop puller", LogFormat::kJson, LogLevel::kInfo, streams.out.get(),
                      streams.err.get(), clock);
  logger.info("pulled", {{"agenda", "a-1"}, {"customer", "acme"}});
  logger.error("bad bytes \xff", {});
  EXPECT_EQ(contents(streams.out.get()), "");
  const std::string text = contents(streams.err.get());
  const std::size_t newline = text.find('\n');
  ASSERT_NE(newline, std::string::npos);
  const auto first = nlohmann::json::parse(text.substr(0, newline));
  EXPECT_EQ(first["level"], "info");
  EXPECT_EQ(first["program"], "pop puller");
  EXPECT_EQ(first["message"], "pulled");
  EXPECT_EQ(first["agenda"], "a-1");
  EXPECT_EQ(first["customer"], "acme");
  EXPECT_EQ(first["time"], format_time(clock.now()));
  const auto second = nlohmann::json::parse(text.substr(newline + 1));
  EXPECT_EQ(second["level"], "error");
  EXPECT_EQ(second["message"], "bad bytes \uFFFD");
}

TEST(StreamLogger, FormatsByName) {
  EXPECT_EQ(parse_log_format("text"), LogFormat::kText);
  EXPECT_EQ(parse_log_format("json"), LogFormat::kJson);
  auto unknown = parse_log_format("xml");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "the log format must be text or json, not \"xml\"");
}

TEST(ManualClock, MovesOnlyWhenToldAndBothTimesTogether) {
  ManualClock clock;
  const WallTime wall = clock.now();
  const Clock::SteadyTime steady = clock.steady_now();
  EXPECT_EQ(clock.now(), wall);
  clock.advance(std::chrono::milliseconds(1500));
  EXPECT_EQ(clock.now() - wall, std::chrono::milliseconds(1500));
  EXPECT_EQ(clock.steady_now() - steady, std::chrono::milliseconds(1500));
}

}  // namespace
}  // namespace pop
