// What `pop run` shows while an agenda executes. On a terminal: a live view redrawn at
// most every 100 ms (agenda line, then the running operations). Elsewhere: one line per
// operation state change, so logs and CI output stay readable.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "model/agenda_progress.h"

namespace pop::cli {

class ProgressDisplay {
 public:
  // `out` is borrowed; `live` selects the terminal view.
  ProgressDisplay(std::FILE* out, bool live);

  void on_change(const AgendaProgress& progress, std::size_t operation);
  // Draws the last state and the summary: one line per operation that did not succeed,
  // the agenda outcome and its diagnostics.
  void finish(const AgendaProgress& progress);

 private:
  void redraw(const AgendaProgress& progress);
  void print_transition(const AgendaProgress& progress, std::size_t operation);

  std::FILE* out_;
  bool live_;
  std::size_t drawn_lines_ = 0;
  std::chrono::steady_clock::time_point last_draw_{};
  std::chrono::steady_clock::time_point origin_;
  std::vector<OperationState> last_states_;
};

}  // namespace pop::cli
