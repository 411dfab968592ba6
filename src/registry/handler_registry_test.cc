#include "registry/handler_registry.h"

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

// "noop" runs inside the executor; a registry file cannot make another type resident (it
// would skip the runner's isolation), but may replace "noop" by a command.
TEST(HandlerRegistry, BuiltinNoopIsResidentAndOnlyBuiltinsCanBe) {
  auto registry = HandlerRegistry::builtin("/opt/pop/bin/pop");
  ASSERT_NE(registry.find("noop"), nullptr);
  EXPECT_EQ(registry.find("noop")->resident, "noop");
  EXPECT_TRUE(registry.find("noop")->command.empty());
  EXPECT_TRUE(registry.find("sample")->resident.empty());
  auto refused = registry.merge_json(
      Json::parse(R"({"handlers": {"fast": {"command": ["x"], "resident": "noop"}}})"), "reg.json");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message, "reg.json: handlers.fast: unknown field \"resident\"");
  ASSERT_TRUE(registry.merge_json(Json::parse(R"({"handlers": {"noop": {"command": ["true"]}}})"),
                                  "reg.json"));
  EXPECT_TRUE(registry.find("noop")->resident.empty());
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

TEST(HandlerRegistry, ContainerFieldsLayerAndOperationsMaySizeThemselves) {
  HandlerRegistry registry = HandlerRegistry::builtin("pop");
  auto merged = registry.merge_json(Json::parse(R"({
      "defaults": {"image": "pop:local", "cpuMax": 2, "memory": "256Mi",
                   "tolerations": [{"key": "dedicated", "operator": "Exists"}]},
      "handlers": {"big": {"command": ["run"], "image": "big:1", "cpuMin": "500m",
                           "imagePullPolicy": "Never", "nodeSelector": {"zone": "a"},
                           "serviceAccountName": "worker"}}})"),
                                    "test");
  ASSERT_TRUE(merged.has_value()) << merged.error().message;
  const ContainerSpec& sample = registry.find("sample")->container;
  EXPECT_EQ(sample.image, "pop:local");
  EXPECT_EQ(sample.memory_bytes, 256LL << 20);
  EXPECT_EQ(sample.cpu_limit, 2);
  const ContainerSpec& big = registry.find("big")->container;
  EXPECT_EQ(big.image, "big:1");
  EXPECT_EQ(big.cpu_request, 0.5);
  EXPECT_EQ(big.image_pull_policy, "Never");
  EXPECT_EQ(big.node_selector, (std::map<std::string, std::string>{{"zone", "a"}}));
  EXPECT_EQ(big.service_account_name, "worker");
  EXPECT_EQ(big.tolerations.size(), 1u);

  auto sized = registry.resolve("big", Json{{"memory", "1Gi"}, {"cpuMin", 1}});
  ASSERT_TRUE(sized.has_value()) << sized.error().message;
  EXPECT_EQ(sized->container.memory_bytes, 1LL << 30);
  EXPECT_EQ(sized->container.cpu_request, 1);
  // Both bounds raised by one operation, whatever the order they are applied in.
  auto bigger = registry.resolve("big", Json{{"cpuMin", 6}, {"cpuMax", 8}});
  ASSERT_TRUE(bigger.has_value()) << bigger.error().message;
  EXPECT_EQ(bigger->container.cpu_request, 6);
  EXPECT_EQ(bigger->container.cpu_limit, 8);
  auto greedy = registry.resolve("big", Json{{"cpuMin", 3}});
  ASSERT_FALSE(greedy.has_value());
  EXPECT_EQ(greedy.error().message, "params.cpuMin must not exceed cpuMax");
  auto bad = registry.resolve("big", Json{{"memory", "lots"}});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("params.memory: \"lots\" is not a memory quantity"),
            std::string::npos)
      << bad.error().message;
}

TEST(HandlerRegistry, BadContainerFieldsNameTheirPlace) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"image": ""})", "image must be a non-empty string"},
      {R"({"imagePullPolicy": "Sometimes"})", "imagePullPolicy must be"},
      {R"({"nodeSelector": {"zone": 1}})", "nodeSelector.zone must be a string"},
      {R"({"tolerations": {"key": "x"}})", "tolerations must be an array"},
      {R"({"cpuMax": "lots"})", "cpuMax: \"lots\" is not a cpu quantity"},
  };
  for (const auto& [entry, expected] : cases) {
    HandlerRegistry registry = HandlerRegistry::builtin("pop");
    Json handler = Json::parse(entry);
    handler["command"] = {"run"};
    auto merged = registry.merge_json(Json{{"handlers", {{"t", handler}}}}, "reg.json");
    ASSERT_FALSE(merged.has_value()) << entry;
    EXPECT_NE(merged.error().message.find("reg.json: handlers.t: "), std::string::npos)
        << merged.error().message;
    EXPECT_NE(merged.error().message.find(expected), std::string::npos) << merged.error().message;
  }
}

}  // namespace
}  // namespace pop
