#include "cli/log_format_flag.h"

#include <gtest/gtest.h>

#include "testing/subprocess.h"
#include "util/temp_dir.h"

namespace pop::cli {
namespace {

LogFormat parsed(std::vector<std::string> arguments) {
  CLI::App app;
  LogFormat format = LogFormat::kText;
  add_log_format_flag(app, format);
  std::reverse(arguments.begin(), arguments.end());  // CLI11 takes them last first
  app.parse(arguments);
  return format;
}

TEST(LogFormatFlag, ChoosesTheFormatAndRefusesOthersNamingThem) {
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

// Every long-running subcommand has it.
TEST(LogFormatFlag, TheServerThePullerAndTheExecutorTakeIt) {
  auto dir = TempDir::create("pop-log-format-");
  ASSERT_TRUE(dir.has_value());
  for (const char* command : {"server", "puller", "executor"}) {
    auto help = testing::run_process({POP_BINARY, command, "--help"}, {}, dir->path().string());
    EXPECT_EQ(help.exit_status, 0) << command << ": " << help.err;
    EXPECT_NE(help.out.find("--log-format"), std::string::npos) << command << ":\n" << help.out;
  }
}

}  // namespace
}  // namespace pop::cli
