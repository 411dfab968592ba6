// Records every attempt and writes them as a Chrome trace (chrome://tracing, Perfetto):
// one complete event per attempt, timed from the executor's start, laid out in lanes.
#pragma once

#include <chrono>
#include <filesystem>
#include <vector>

#include "engine/executor.h"
#include "util/result.h"

namespace pop::cli {

class TraceFile {
 public:
  explicit TraceFile(std::chrono::steady_clock::time_point origin) : origin_(origin) {}

  void record(const AttemptRecord& attempt) { attempts_.push_back(attempt); }

  // Events carry the operation name, index and attempt in "args"; ts/dur in microseconds.
  Result<void> write(const std::filesystem::path& path, const Agenda& agenda) const;

 private:
  std::chrono::steady_clock::time_point origin_;
  std::vector<AttemptRecord> attempts_;
};

}  // namespace pop::cli
