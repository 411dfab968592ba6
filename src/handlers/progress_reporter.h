// How a handler written in C++ reports progress under any runner: a JSON line on
// POP_PROGRESS_FD when the runner provides one (local runner), else nothing.
#pragma once

#include <string>

namespace pop {

class ProgressReporter {
 public:
  // Reads POP_PROGRESS_FD from the environment.
  ProgressReporter();
  // Best effort: a handler never fails because progress could not be delivered.
  void report(double percent_complete, const std::string& message);

 private:
  int fd_ = -1;
};

}  // namespace pop
