#include "cli/trace_file.h"

#include <algorithm>
#include <fstream>

namespace pop::cli {

Result<void> TraceFile::write(const std::filesystem::path& path, const Agenda& agenda) const {
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  std::vector<AttemptRecord> sorted = attempts_;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.launched_at < b.launched_at; });
  // Greedy lane assignment: an attempt takes the first lane that is free when it starts.
  std::vector<std::chrono::steady_clock::time_point> lane_free_at;
  Json events = Json::array();
  for (const auto& attempt : sorted) {
    std::size_t lane = 0;
    while (lane < lane_free_at.size() && lane_free_at[lane] > attempt.launched_at) ++lane;
    if (lane == lane_free_at.size()) lane_free_at.emplace_back();
    lane_free_at[lane] = attempt.ended_at;
    events.push_back(
        {{"name", agenda.operations[attempt.operation].name},
         {"cat", attempt.succeeded ? "succeeded" : "failed"},
         {"ph", "X"},
         {"pid", 1},
         {"tid", lane},
         {"ts", duration_cast<microseconds>(attempt.launched_at - origin_).count()},
         {"dur", duration_cast<microseconds>(attempt.ended_at - attempt.launched_at).count()},
         {"args", {{"operation", attempt.operation}, {"attempt", attempt.attempt}}}});
  }
  std::ofstream out(path);
  out << Json{{"traceEvents", events}, {"displayTimeUnit", "ms"}}.dump() << '\n';
  out.close();
  if (!out) return fail(ErrorCode::kUnavailable, "cannot write trace file " + path.string());
  return {};
}

}  // namespace pop::cli
