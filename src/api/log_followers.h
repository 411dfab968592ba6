// The readers following running attempts' logs (GET .../logs?follow=true), kept as entries
// rather than threads: one thread sends each follower what its attempt's log gained, woken
// when a chunk of that attempt is stored on this server (AttemptLogs::on_appended), and
// looks at every follower once per `recheck` as well (chunks stored by another replica,
// clients that left). A follower ends when its attempt's log has ended and all of it was
// sent, when its client leaves or reads too slowly, or when the server stops.
//
// Bounds: at most `max_followers` at once, `max_per_caller` of one principal; beyond them
// follow() refuses with kResourceExhausted (429), since a follower, unlike a long poll, has
// no cheaper answer to fall back on. Memory: each round sends a follower at most
// `round_bytes`, and a follower with more to send waits for the next round (`backlog_pause`),
// so a slow reader is held to the HTTP server's per-stream buffer.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "http/responder.h"
#include "service/agendas/attempt_logs.h"
#include "util/clock.h"

namespace pop::api {

struct LogFollowerLimits {
  std::size_t max_followers = 1000;
  std::size_t max_per_caller = 20;
  std::chrono::milliseconds recheck{1000};
  std::chrono::milliseconds backlog_pause{50};
  std::size_t round_bytes = 1 << 20;
};

class LogFollowers {
 public:
  // Borrows `logs` and `clock`, which must outlive this object; starts its thread.
  LogFollowers(service::AttemptLogs& logs, const Clock& clock, LogFollowerLimits limits = {});
  ~LogFollowers();  // stop()
  LogFollowers(const LogFollowers&) = delete;
  LogFollowers& operator=(const LogFollowers&) = delete;

  // Sends `responder` the log of `target` from its start, then what arrives, until it ends.
  // The stream is started here (200, text/plain). kResourceExhausted over a bound,
  // kUnavailable once stopping; nothing is sent then.
  Result<void> follow(const std::string& caller, service::AttemptLogTarget target,
                      http::Responder responder);
  // A chunk of `target` was stored: its followers get it at once.
  void appended(const service::AttemptLogTarget& target);
  // Ends every stream (as much as was stored is sent) and the thread. Idempotent.
  void stop();

  std::size_t following() const;

 private:
  struct Follower {
    std::string caller;
    service::AttemptLogTarget target;
    http::Responder responder;
    std::uint64_t offset = 0;  // kept bytes sent so far
    char last_byte = '\n';     // of those, the last
    bool due = true;           // has something to send, or should look
    bool backlog = false;      // its last round stopped at round_bytes: more is stored
  };
  void run();
  // Sends what is new; true when the follower is done (ended, left, or failed).
  bool serve(Follower& follower);

  service::AttemptLogs& logs_;
  const Clock& clock_;
  const LogFollowerLimits limits_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::list<std::shared_ptr<Follower>> followers_;  // GUARDED_BY(mutex_)
  std::map<std::string, std::size_t> per_caller_;   // GUARDED_BY(mutex_)
  bool stopping_ = false;                           // GUARDED_BY(mutex_)
  std::thread thread_;                              // last: it uses everything above
};

}  // namespace pop::api
