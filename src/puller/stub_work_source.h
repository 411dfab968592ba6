// A WorkSource that hands out nothing and accepts everything: the base of test doubles that
// script the calls they are about. Header-only: production code has no use for it.
#pragma once

#include "puller/work_source.h"

namespace pop::puller {

class StubWorkSource : public WorkSource {
 public:
  Result<PullAnswer> pull(std::size_t, std::chrono::milliseconds, const std::optional<Resources>&,
                          const std::set<std::string>&) override {
    return PullAnswer{};
  }
  Result<void> report(const std::string&, std::uint64_t, const std::string&, const Json&) override {
    return {};
  }
  Result<void> complete(const std::string&, std::uint64_t, const std::string&,
                        const Json&) override {
    return {};
  }
  Result<ReportedProgress> reported_progress(const std::string&, std::uint64_t,
                                             std::uint64_t) override {
    return ReportedProgress{};
  }
  Result<std::optional<Json>> reported_output(const std::string&, std::uint64_t, const std::string&,
                                              int) override {
    return std::optional<Json>();
  }
  // Acknowledges every chunk as if it were the whole log so far.
  Result<LogChunkAnswer> append_log(const std::string&, std::uint64_t, const std::string&,
                                    const LogChunk& chunk) override {
    return LogChunkAnswer{chunk.offset + chunk.bytes.size(), false};
  }
  void wake() override {}
};

}  // namespace pop::puller
