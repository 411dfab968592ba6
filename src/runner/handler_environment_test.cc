#include "runner/handler_environment.h"

#include <gtest/gtest.h>

namespace pop {
namespace {

std::vector<std::string> entries(const HandlerEnvironment& environment) {
  std::vector<std::string> result;
  for (char* const* entry = environment.envp(); *entry != nullptr; ++entry) {
    result.emplace_back(*entry);
  }
  return result;
}

TEST(HandlerEnvironmentTest, LayersInheritedThenSpecThenContract) {
  const char* inherited[] = {"PATH=/bin", "KEEP=parent", "OVERRIDE=parent", nullptr};
  const HandlerEnvironment environment(inherited, {{"OVERRIDE", "spec"}, {"EXTRA", "spec"}},
                                       {{"POP_ATTEMPT", "3"}});
  EXPECT_EQ(entries(environment),
            (std::vector<std::string>{"PATH=/bin", "KEEP=parent", "EXTRA=spec", "OVERRIDE=spec",
                                      "POP_ATTEMPT=3"}));
}

TEST(HandlerEnvironmentTest, ContractNamesAreReservedEvenWhenUnset) {
  const char* inherited[] = {"POP_PAYLOAD_FILE=/stale", "POP_REPORT_TOKEN=stale",
                             "POP_PAYLOADISH=kept", nullptr};
  const HandlerEnvironment environment(inherited, {{"POP_ATTEMPT", "99"}, {"POP_PAYLOAD", "x"}},
                                       {{"POP_ATTEMPT", "1"}, {"POP_PAYLOAD", "{}"}});
  EXPECT_EQ(entries(environment),
            (std::vector<std::string>{"POP_PAYLOADISH=kept", "POP_ATTEMPT=1", "POP_PAYLOAD={}"}));
}

TEST(HandlerEnvironmentTest, EntryWithoutEqualsSignIsKeptAsIs) {
  const char* inherited[] = {"ODD", nullptr};
  const HandlerEnvironment environment(inherited, {}, {});
  EXPECT_EQ(entries(environment), (std::vector<std::string>{"ODD"}));
}

}  // namespace
}  // namespace pop
