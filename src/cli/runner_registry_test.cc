#include "cli/runner_registry.h"

#include <gtest/gtest.h>

#include "testing/captured_log.h"
#include "util/temp_dir.h"

namespace pop::cli {
namespace {

TEST(RunnerRegistry, ListsEveryRunnerWithTheDefaultFirst) {
  EXPECT_EQ(runner_names(), (std::vector<std::string>{"local", "docker", "kubernetes"}));
  EXPECT_EQ(runner_kinds().front().name, RunnerSettings{}.kind);
  for (const RunnerKind& kind : runner_kinds()) {
    auto found = find_runner(kind.name);
    ASSERT_TRUE(found) << kind.name;
    EXPECT_EQ(*found, &kind);
    EXPECT_FALSE(kind.description.empty());
    // Only local handlers are this very pop; the others find it in the handler image.
    EXPECT_EQ(kind.handlers_on_host, kind.name == "local") << kind.name;
  }
}

TEST(RunnerRegistry, AnUnknownNameIsRefusedNamingTheKnownOnes) {
  for (const char* name : {"podman", "", "Local"}) {
    auto found = find_runner(name);
    ASSERT_FALSE(found) << name;
    EXPECT_EQ(found.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(found.error().message, "--runner: unknown runner \"" + std::string(name) +
                                         "\"; known: local, docker, kubernetes");
  }
}

TEST(RunnerRegistry, CreatesTheChosenRunner) {
  auto dir = TempDir::create("runner-registry");
  ASSERT_TRUE(dir);
  pop::testing::CapturedLog log;
  const RunnerSettings settings;
  auto runner = create_runner(settings, dir->path(), "pool", log, system_clock());
  ASSERT_TRUE(runner) << runner.error().message;
  EXPECT_NE(*runner, nullptr);

  RunnerSettings unknown;
  unknown.kind = "podman";
  auto refused = create_runner(unknown, dir->path(), "pool", log, system_clock());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace pop::cli
