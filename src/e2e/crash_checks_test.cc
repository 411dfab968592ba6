// The crash tests' own checks, on made-up ledgers and snapshots: they must see a rerun, a
// wrong output and a torn ledger line, or the crash tests could pass for nothing.
#include <gtest/gtest.h>

#include <fstream>

#include "e2e/crash_harness.h"

namespace pop::e2e {
namespace {

TEST(CrashChecksTest, LedgerLinesCarryTheirOffsets) {
  auto dir = TempDir::create("pop-crash-checks-");
  ASSERT_TRUE(dir.has_value());
  const auto ledger = dir->path() / "ledger";
  EXPECT_EQ(ledger_size(ledger), 0u);
  EXPECT_TRUE(read_ledger(ledger).empty());
  std::ofstream(ledger) << "A x 1 start 10\nA x 1 done 10\ntorn li\n";
  const auto lines = read_ledger(ledger);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].offset, 0u);
  EXPECT_TRUE(lines[0].start);
  EXPECT_EQ(lines[0].pid, 10);
  EXPECT_EQ(lines[1].offset, 15u);
  EXPECT_FALSE(lines[1].start);
  EXPECT_EQ(lines[1].operation, "x");
  EXPECT_TRUE(lines[2].agenda_id.empty());
  EXPECT_EQ(lines[2].operation, "torn li");
  EXPECT_EQ(ledger_size(ledger), 37u);
}

TEST(CrashChecksTest, OnlyAStartAfterASnapshotThatSawSuccessIsARerun) {
  Snapshot first;
  first.ledger_offset = 100;
  first.succeeded = {{"A", "x"}};
  Snapshot second;
  second.ledger_offset = 200;
  second.succeeded = {{"A", "x"}, {"B", "y"}};
  const std::vector<LedgerLine> ledger = {
      {50, "A", "x", 1, true, 1},    // the run that succeeded
      {150, "B", "y", 1, true, 2},   // before B y was seen succeeded
      {160, "C", "z", 1, true, 3},   // never seen succeeded
      {170, "A", "x", 1, false, 1},  // a done line is no execution
      {250, "A", "x", 2, true, 4},   // after both snapshots: reported once
  };
  const auto reruns = reruns_after_success({first, second}, ledger);
  ASSERT_EQ(reruns.size(), 1u);
  EXPECT_EQ(reruns[0], "A x started again (attempt 2, pid 4) after snapshot 0 showed it succeeded");
}

TEST(CrashChecksTest, OutcomeNeedsEveryOperationSucceededWithItsInputs) {
  std::mt19937_64 rng(1);
  const auto plan = plan_agendas(3, "k", rng);
  ASSERT_EQ(plan[1].operations, (std::vector<std::string>{"a", "b", "c"}));
  auto op = [](const std::string& name, Json input) {
    return Json{{"operation", name},
                {"processingStateMessage", "succeeded"},
                {"resultPayload", {{"op", name}, {"payload", input}}}};
  };
  Json progress = {
      {"processingState", "COMPLETE"},
      {"processingStateMessage", "succeeded"},
      {"operationProgress",
       {op("a", Json::object()), op("b", {{"input", "a"}}), op("c", {{"input", "b"}})}}};
  EXPECT_TRUE(outcome_problems(plan[1], progress).empty());
  progress["operationProgress"][2]["resultPayload"]["payload"]["input"] = nullptr;
  EXPECT_EQ(outcome_problems(plan[1], progress),
            std::vector<std::string>{"operation c got input = null, expected \"b\""});
  progress["operationProgress"].erase(0);
  EXPECT_EQ(outcome_problems(plan[1], progress).size(), 2u);
}

}  // namespace
}  // namespace pop::e2e
