// The bearer token of a Kubernetes client. Service account tokens are projected files that
// the kubelet rotates (bound tokens expire), so a long-running puller re-reads the file, as
// client-go does, instead of keeping the token it started with.
#pragma once

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>

#include "util/clock.h"

namespace pop::kubernetes {

// Thread-safe.
class TokenSource {
 public:
  // A fixed token (may be empty: no Authorization header).
  explicit TokenSource(std::string token);
  // A token file, re-read when the last read is older than `refresh`. A failed re-read keeps
  // the previous token: it may still be valid, and the server's 401 will tell if not.
  // `clock` (borrowed) says how old the last read is.
  TokenSource(std::filesystem::path file, std::chrono::steady_clock::duration refresh,
              const Clock& clock = system_clock());

  std::string token();

 private:
  const std::filesystem::path file_;
  const std::chrono::steady_clock::duration refresh_{};
  const Clock* const clock_ = nullptr;  // null for a fixed token
  std::mutex mutex_;
  std::string token_;                                // guarded by mutex_
  std::chrono::steady_clock::time_point read_at_{};  // guarded by mutex_
  bool read_once_ = false;                           // guarded by mutex_
};

}  // namespace pop::kubernetes
