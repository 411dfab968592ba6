#include "cli/log_flags.h"

#include <gtest/gtest.h>

#include "testing/subprocess.h"
#include "util/temp_dir.h"

namespace pop::cli {
namespace {

LogSettings parsed_settings(std::vector<std::string> arguments) {
  CLI::App app;
  LogSettings settings;
  add_log_flags(app, settings);
  std::reverse(arguments.begin(), arguments.end());  // CLI11 takes them last first
  app.parse(arguments);
  return settings;
}

LogFormat parsed(std::vector<std::string> arguments) {
  return parsed_settings(std::move(arguments)).format;
}

TEST(LogFlags, ChoosesTheFormatAndRefusesOthersNamingThem) {
  EXPECT_EQ(parsed({}), LogFormat::kText);
  EXPECT_EQ(parsed({"--log-format", "json"}), LogFormat::kJson);
  EXPECT_EQ(parsed({"--log-format", "text"}), LogFormat::kText);
  try {
    parsed({"--log-format", "xml"});
    ADD_FAILURE() << "xml was accepted";
  } catch (const CLI::ValidationError& refused) {
    EXPECT_NE(std::string(refused.what()).find("not \"xml\""), std::string::npos) << refused.what();
  }
}

TEST(LogFlags, ChoosesTheLevelAndRefusesOthersNamingThem) {
  EXPECT_EQ(parsed_settings({}).level, LogLevel::kInfo);
  EXPECT_EQ(parsed_settings({"--log-level", "debug"}).level, LogLevel::kDebug);
  EXPECT_EQ(parsed_settings({"--log-level", "error"}).level, LogLevel::kError);
  try {
    parsed_settings({"--log-level", "loud"});
    ADD_FAILURE() << "loud was accepted";
  } catch (const CLI::ValidationError& refused) {
    EXPECT_NE(std::string(refused.what()).find("not \"loud\""), std::string::npos)
        << refused.what();
  }
}

// Every long-running subcommand has them.
TEST(LogFlags, TheServerThePullerAndTheExecutorTakeThem) {
  auto dir = TempDir::create("pop-log-format-");
  ASSERT_TRUE(dir.has_value());
  for (const char* command : {"server", "puller", "executor"}) {
    auto help = testing::run_process({POP_BINARY, command, "--help"}, {}, dir->path().string());
    EXPECT_EQ(help.exit_status, 0) << command << ": " << help.err;
    EXPECT_NE(help.out.find("--log-format"), std::string::npos) << command << ":\n" << help.out;
    EXPECT_NE(help.out.find("--log-level"), std::string::npos) << command << ":\n" << help.out;
  }
}

}  // namespace
}  // namespace pop::cli
