#include "handlers/handler_registry.h"

#include <gtest/gtest.h>

#include <fstream>

#include "util/temp_dir.h"

namespace pop {
namespace {

TEST(HandlerRegistry, BuiltinSampleRunsThisBinary) {
  HandlerRegistry registry = HandlerRegistry::builtin("/opt/pop");
  ASSERT_TRUE(registry.has("sample"));
  EXPECT_EQ(registry.find("sample")->command,
            (std::vector<std::string>{"/opt/pop", "handler", "sample"}));
  EXPECT_FALSE(registry.has("Sample"));
}

TEST(HandlerRegistry, LayersDefaultsUnderEntries) {
  HandlerRegistry registry = HandlerRegistry::builtin("/opt/pop");
  auto merged = registry.merge_json(
      Json::parse(R"({"defaults": {"timeoutSeconds": 30, "env": {"A": "1", "B": "2"}},
                      "handlers": {"true": {"command": ["/bin/true"], "env": {"B": "3"},
                                            "maximumAttempts": 4}}})"),
      "test");
  ASSERT_TRUE(merged.has_value()) << merged.error().message;
  const HandlerSpec* spec = registry.find("true");
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->timeout_seconds, 30);
  EXPECT_EQ(spec->maximum_attempts, 4);
  EXPECT_EQ(spec->env, (std::map<std::string, std::string>{{"A", "1"}, {"B", "3"}}));
  // Defaults reach the built-in entries too.
  EXPECT_EQ(registry.find("sample")->timeout_seconds, 30);
}

TEST(HandlerRegistry, OperationParamsOverrideOnlyWhatIsAllowed) {
  HandlerRegistry registry = HandlerRegistry::builtin("/opt/pop");
  auto spec = registry.resolve("sample", Json{{"timeoutSeconds", 2.5},
                                              {"maximumAttempts", 3},
                                              {"retryBackoffSeconds", 0},
                                              {"command", Json::array({"x"})}});
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(spec->timeout_seconds, 2.5);
  EXPECT_EQ(spec->maximum_attempts, 3);
  EXPECT_EQ(spec->retry_backoff_seconds, 0);
  EXPECT_EQ(spec->command[0], "/opt/pop");

  auto bad = registry.resolve("sample", Json{{"maximumAttempts", 0}});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidAgenda);
  EXPECT_EQ(bad.error().message, "params.maximumAttempts must be an integer from 1 to 100");
  EXPECT_EQ(registry.resolve("nope", Json::object()).error().code, ErrorCode::kNotFound);
}

TEST(HandlerRegistry, BadFilesAreRejectedWholeWithTheirPlace) {
  HandlerRegistry registry = HandlerRegistry::builtin("/opt/pop");
  auto unknown = registry.merge_json(
      Json::parse(R"({"handlers": {"a": {"command": ["x"]}, "b": {"comand": ["y"]}}})"),
      "reg.json");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().message, "reg.json: handlers.b: unknown field \"comand\"");
  EXPECT_FALSE(registry.has("a")) << "a failed merge must not change the registry";

  auto missing =
      registry.merge_json(Json::parse(R"({"handlers": {"a": {"env": {}}}})"), "reg.json");
  EXPECT_EQ(missing.error().message, "reg.json: handlers.a: command is required");
  auto timeout =
      registry.merge_json(Json::parse(R"({"defaults": {"timeoutSeconds": 0}})"), "reg.json");
  EXPECT_EQ(timeout.error().message,
            "reg.json: defaults: timeoutSeconds must be a number > 0 and <= 2592000");
}

TEST(HandlerRegistry, ReadsYamlFiles) {
  auto dir = TempDir::create("registry-test-");
  ASSERT_TRUE(dir.has_value());
  const auto path = dir->path() / "handlers.yaml";
  std::ofstream(path)
      << "defaults:\n  retryBackoffSeconds: 0.5\n"
         "handlers:\n  echo:\n    command: [/bin/echo, \"42\"]\n    maximumAttempts: 2\n";
  HandlerRegistry registry = HandlerRegistry::builtin("/opt/pop");
  auto merged = registry.merge_file(path);
  ASSERT_TRUE(merged.has_value()) << merged.error().message;
  EXPECT_EQ(registry.find("echo")->command, (std::vector<std::string>{"/bin/echo", "42"}));
  EXPECT_EQ(registry.find("echo")->maximum_attempts, 2);
  EXPECT_EQ(registry.find("echo")->retry_backoff_seconds, 0.5);
}

TEST(HandlerRegistry, RelativeCommandsAreRelativeToTheFile) {
  auto dir = TempDir::create("registry-test-");
  ASSERT_TRUE(dir.has_value());
  const auto path = dir->path() / "handlers.json";
  std::ofstream(path) << R"({"handlers": {"mine": {"command": ["./bin/h.sh", "x"]},
                                          "onpath": {"command": ["env"]}}})";
  HandlerRegistry registry = HandlerRegistry::builtin("/opt/pop");
  ASSERT_TRUE(registry.merge_file(path).has_value());
  EXPECT_EQ(registry.find("mine")->command[0], (dir->path() / "bin/h.sh").string());
  EXPECT_EQ(registry.find("onpath")->command[0], "env");
}

}  // namespace
}  // namespace pop
