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
  const char* inherited[] = {"POP_PAYLOAD_FILE=/stale", "POP_REPORT_TOKEN=stale", nullptr};
  const HandlerEnvironment environment(
      inherited, {{"POP_ATTEMPT", "99"}, {"POP_PAYLOAD", "x"}, {"POP_PAYLOADISH", "kept"}},
      {{"POP_ATTEMPT", "1"}, {"POP_PAYLOAD", "{}"}});
  EXPECT_EQ(entries(environment),
            (std::vector<std::string>{"POP_PAYLOADISH=kept", "POP_ATTEMPT=1", "POP_PAYLOAD={}"}));
}

// The puller's own credential (`pop puller` takes POP_TOKEN), an executor's assignment with
// its lease key, and POP's other documents are not the handler's: only the contract's
// variables and POP_REPORT_CA (how a handler trusts the report URL) reach it.
TEST(HandlerEnvironmentTest, PopsOwnVariablesAreNotInherited) {
  const char* inherited[] = {"POP_TOKEN=pop_0123456789abcdef_secret",
                             "POP_ASSIGNMENT={\"reportKey\":\"k\"}",
                             "POP_KUBECONFIG_DOCUMENT=token: t",
                             "POP_REPORT_CA=/etc/pop/ca.pem",
                             "HOME=/root",
                             nullptr};
  const HandlerEnvironment environment(inherited, {}, {{"POP_ATTEMPT", "1"}});
  EXPECT_EQ(entries(environment), (std::vector<std::string>{"POP_REPORT_CA=/etc/pop/ca.pem",
                                                            "HOME=/root", "POP_ATTEMPT=1"}));
}

TEST(HandlerEnvironmentTest, EntryWithoutEqualsSignIsKeptAsIs) {
  const char* inherited[] = {"ODD", nullptr};
  const HandlerEnvironment environment(inherited, {}, {});
  EXPECT_EQ(entries(environment), (std::vector<std::string>{"ODD"}));
}

}  // namespace
}  // namespace pop
