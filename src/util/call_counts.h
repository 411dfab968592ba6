// Counts of calls to a remote API by what was asked and how it was answered (e.g. Kubernetes
// requests by verb and status, Docker Engine calls by operation and status), kept by the
// client that makes them and read by whoever reports them (metrics), so that a client needs
// no metrics library. Bounded by its callers: `what` is one of the client's fixed words.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace pop {

class CallCounts {
 public:
  struct Count {
    std::string what;
    int status = 0;  // the HTTP status; 0: no answer (the transport failed)
    std::uint64_t calls = 0;
  };

  void add(std::string_view what, int status);
  std::vector<Count> snapshot() const;  // ordered by what, then status

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::map<int, std::uint64_t>, std::less<>> counts_;
};

}  // namespace pop
