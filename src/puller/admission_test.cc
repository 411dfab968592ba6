#include "puller/admission.h"

#include <gtest/gtest.h>

namespace pop::puller {
namespace {

struct Case {
  const char* name;
  std::map<std::string, std::size_t> limits;
  std::size_t free;
  std::map<std::string, std::size_t> active;  // missing: the count fails
  std::set<std::string> skipped;
  std::size_t max;
};

TEST(AdmissionTest, SkipsInsightsAtTheirLimitAndAsksForNoMoreThanTheRoomLeft) {
  const Case cases[] = {
      {"no limits", {}, 4, {}, {}, 4},
      {"nothing active", {{"a", 2}}, 4, {{"a", 0}}, {}, 4},
      {"room for one", {{"a", 2}}, 4, {{"a", 1}}, {}, 1},
      {"at the limit", {{"a", 2}}, 4, {{"a", 2}}, {"a"}, 4},
      {"over the limit", {{"a", 2}}, 4, {{"a", 5}}, {"a"}, 4},
      {"a failed count skips", {{"a", 2}}, 3, {}, {"a"}, 3},
      {"fewer free slots than room", {{"a", 9}}, 2, {{"a", 1}}, {}, 2},
      {"the tightest insight wins",
       {{"a", 5}, {"b", 3}, {"c", 1}},
       8,
       {{"a", 2}, {"b", 2}, {"c", 1}},
       {"c"},
       1},
  };
  for (const Case& c : cases) {
    const Admission admitted =
        admit_under_limits(c.limits, c.free, [&](const std::string& id) -> Result<std::size_t> {
          auto found = c.active.find(id);
          if (found == c.active.end()) return fail(ErrorCode::kUnavailable, "no answer");
          return found->second;
        });
    EXPECT_EQ(admitted.skip_insight_ids, c.skipped) << c.name;
    EXPECT_EQ(admitted.max, c.max) << c.name;
    for (const auto& [insight_id, limit] : c.limits) {
      // Only a count that failed is reported, with its error, for the caller's log.
      EXPECT_EQ(admitted.uncounted.contains(insight_id), !c.active.contains(insight_id))
          << c.name << ", " << insight_id;
    }
    for (const auto& [insight_id, error] : admitted.uncounted)
      EXPECT_EQ(error.message, "no answer") << c.name;
  }
}

}  // namespace
}  // namespace pop::puller
