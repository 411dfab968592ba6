// What handlers reported through the report endpoint, as the puller that runs them reads it
// back: plain values shared by the service, the API and the puller.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pop {

// The latest progress one attempt reported: each field is the last value sent for it.
struct AttemptProgress {
  std::string operation;
  int attempt = 0;
  std::optional<double> percent_complete;
  std::optional<std::string> message;
};

// The attempts of one lease whose progress changed after a cursor, and the cursor to ask
// with next time.
struct ReportedProgress {
  std::vector<AttemptProgress> attempts;
  std::uint64_t cursor = 0;
};

}  // namespace pop
