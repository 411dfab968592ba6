#include "cli/progress_display.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

#include "engine/executor.h"

namespace pop::cli {
namespace {

constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

std::size_t terminal_rows(std::FILE* out) {
  winsize size{};
  if (ioctl(fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_row > 0) return size.ws_row;
  return 24;
}

std::string agenda_line(const AgendaProgress& progress) {
  std::size_t counts[6] = {};
  for (const auto& operation : progress.operations) ++counts[static_cast<int>(operation.state)];
  char line[256];
  std::snprintf(line, sizeof line,
                "agenda %s: %s %3.0f%%  (%zu succeeded, %zu running, %zu pending, %zu retrying, "
                "%zu failed, %zu cancelled)",
                progress.agenda_id.c_str(), progress.state_message().c_str(),
                progress.percent_complete, counts[static_cast<int>(OperationState::kSucceeded)],
                counts[static_cast<int>(OperationState::kRunning)],
                counts[static_cast<int>(OperationState::kPending)],
                counts[static_cast<int>(OperationState::kRetrying)],
                counts[static_cast<int>(OperationState::kFailed)],
                counts[static_cast<int>(OperationState::kCancelled)]);
  return line;
}

std::string operation_line(const OperationProgress& operation) {
  std::string line =
      "  " + operation.operation + "  " + std::string(state_message_of(operation.state));
  if (operation.state == OperationState::kRunning) {
    char percent[16];
    std::snprintf(percent, sizeof percent, " %3.0f%%", operation.percent_complete);
    line += percent;
  }
  if (operation.attempt_count > 1)
    line += " (attempt " + std::to_string(operation.attempt_count) + ")";
  if (!operation.message.empty() && operation.state == OperationState::kRunning)
    line += "  " + operation.message;
  if (operation.state == OperationState::kFailed && !operation.diagnostic_events.empty())
    line += "  " + operation.diagnostic_events.back().message;
  return line;
}

void print_tail(std::FILE* out, const std::string& tail) {
  if (tail.empty()) return;
  std::fprintf(out, "  log tail:\n");
  std::size_t start = 0;
  while (start < tail.size()) {
    std::size_t end = tail.find('\n', start);
    if (end == std::string::npos) end = tail.size();
    std::fprintf(out, "    | %.*s\n", static_cast<int>(end - start), tail.data() + start);
    start = end + 1;
  }
}

}  // namespace

ProgressDisplay::ProgressDisplay(std::FILE* out, bool live)
    : out_(out), live_(live), origin_(std::chrono::steady_clock::now()) {}

void ProgressDisplay::on_change(const AgendaProgress& progress, std::size_t operation) {
  if (!live_) {
    print_transition(progress, operation);
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  redraw(progress);
}

void ProgressDisplay::print_transition(const AgendaProgress& progress, std::size_t operation) {
  if (operation == Executor::npos) return;
  if (last_states_.size() != progress.operations.size())
    last_states_.assign(progress.operations.size(), OperationState::kPending);
  const OperationProgress& changed = progress.operations[operation];
  // Progress updates within a state are for the live view only.
  if (last_states_[operation] == changed.state) return;
  last_states_[operation] = changed.state;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - origin_).count();
  std::fprintf(out_, "[%8.3fs] %s\n", elapsed, operation_line(changed).c_str());
  std::fflush(out_);
}

void ProgressDisplay::redraw(const AgendaProgress& progress) {
  std::vector<std::string> lines{agenda_line(progress)};
  const std::size_t room = std::max<std::size_t>(terminal_rows(out_), 4) - 2;
  for (const auto& operation : progress.operations) {
    if (lines.size() >= room) break;
    if (operation.state == OperationState::kRunning || operation.state == OperationState::kRetrying)
      lines.push_back(operation_line(operation));
  }
  // Move to the start of the previous frame, clear it, draw the new one.
  if (drawn_lines_ > 0) std::fprintf(out_, "\x1b[%zuF\x1b[J", drawn_lines_);
  for (const auto& line : lines) std::fprintf(out_, "%s\x1b[K\n", line.c_str());
  drawn_lines_ = lines.size();
  std::fflush(out_);
}

void ProgressDisplay::finish(const AgendaProgress& progress) {
  if (live_ && drawn_lines_ > 0) std::fprintf(out_, "\x1b[%zuF\x1b[J", drawn_lines_);
  drawn_lines_ = 0;
  for (const auto& operation : progress.operations) {
    if (operation.state != OperationState::kSucceeded)
      std::fprintf(out_, "%s\n", operation_line(operation).c_str());
  }
  std::fprintf(out_, "%s\n", agenda_line(progress).c_str());
  for (const auto& event : progress.diagnostic_events) {
    std::fprintf(out_, "  %s\n", event.message.c_str());
    print_tail(out_, event.log_tail);
  }
  std::fflush(out_);
}

}  // namespace pop::cli
