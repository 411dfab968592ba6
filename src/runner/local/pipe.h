// A pipe from a handler to the runner.
#pragma once

#include "util/result.h"
#include "util/unique_fd.h"

namespace pop {

struct Pipe {
  // The read end is non-blocking so that the I/O thread can drain it after the handler
  // exits even if a process that escaped the handler's group still holds the write end. The
  // write end stays blocking, as programs expect of their stdout. Both are close-on-exec;
  // the spawn duplicates the write end into the handler.
  static Result<Pipe> create();

  UniqueFd read_end;
  UniqueFd write_end;
};

}  // namespace pop
