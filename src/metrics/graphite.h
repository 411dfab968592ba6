// Graphite, as Comcast's POP reported to it: the same figures as GET /metrics, pushed in
// Graphite's plaintext protocol, one line per sample, with the labels as Graphite tags
// ("name;label=value value timestamp"; tags need Graphite 1.1 or later).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "metrics/metrics_registry.h"
#include "util/logger.h"

struct addrinfo;

namespace pop::metrics {

// The plaintext lines of `families` at `unix_seconds`. A histogram becomes its _bucket (with
// le), _sum and _count series, as in the text format. Characters Graphite does not take in a
// name or tag (';', '~', '=' in values, spaces, control characters) become '_'.
std::string graphite_lines(const Families& families, std::int64_t unix_seconds);

// Pushes `registry`'s collection to HOST:PORT every `interval`, over a new TCP connection
// each time (Graphite's carbon accepts that), from a thread of its own; a push that fails is
// skipped, the next one tries again. `logger` hears when pushes start failing (with why) and
// when they work again, once each. Stops (and joins) when destroyed.
class GraphitePusher {
 public:
  // Borrows `registry` and `logger`, which must outlive it.
  GraphitePusher(const MetricsRegistry& registry, std::string host, std::uint16_t port,
                 std::chrono::milliseconds interval, Logger& logger);
  ~GraphitePusher();
  GraphitePusher(const GraphitePusher&) = delete;
  GraphitePusher& operator=(const GraphitePusher&) = delete;

  // Pushes made, and pushes that failed to connect or send: for tests and the server's log.
  std::uint64_t pushed() const { return pushed_.load(); }
  std::uint64_t failed() const { return failed_.load(); }

 private:
  void run();
  // Empty when pushed, else why not.
  std::string push_once();
  // 0 when `text` was sent whole, else the errno of what failed.
  int send_all(const addrinfo& address, const std::string& text) const;

  const MetricsRegistry& registry_;
  const std::string host_;
  const std::uint16_t port_;
  const std::chrono::milliseconds interval_;
  Logger& logger_;
  std::atomic<std::uint64_t> pushed_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;     // last: starts once the members above exist
};

}  // namespace pop::metrics
