// What the store keeps of each handler attempt's output (Store::append_attempt_log and the
// reads beside it): chunks in handler-byte order, each compressed by the caller, under a
// small state row per attempt. Offsets count the handler's bytes, kept or not, so a chunk is
// written at an explicit place and a retried one is recognised.
#pragma once

#include <cstdint>
#include <string>

#include "store/store_types.h"

namespace pop::store {

// One chunk of an attempt's output, sent by the holder of the agenda's lease.
struct AttemptLogAppend {
  std::string agenda_id;
  std::string operation;  // as the agenda spells it
  int attempt = 1;
  std::uint64_t epoch = 0;   // fence: written only while a lease with this epoch is held
  std::uint64_t offset = 0;  // where `byte_count` starts in the handler's output
  std::uint64_t byte_count = 0;
  // The kept part of those bytes (a prefix: nothing past the cap), compressed by the caller,
  // and how many handler bytes it holds. Empty with kept_bytes 0 when nothing is kept.
  std::string compressed;
  std::uint64_t kept_bytes = 0;
  bool ended = false;  // the attempt is over: nothing more will follow
  WallTime now;
};

// Where an attempt's log stands.
struct AttemptLogState {
  int attempt = 1;
  std::uint64_t epoch = 0;       // the lease that wrote it
  std::uint64_t length = 0;      // handler bytes received: the offset the next chunk starts at
  std::uint64_t kept_bytes = 0;  // of which kept (the rest were past the cap)
  bool ended = false;
  WallTime updated_time;
};

// A stored chunk, as appended.
struct AttemptLogChunk {
  std::uint64_t offset = 0;
  std::uint64_t kept_bytes = 0;
  std::string compressed;
};

}  // namespace pop::store
