// Test support for the crash tests: a handler that records every execution in a ledger
// file, and the reader of that ledger. The ledger is written by the handler processes
// themselves, so it sees executions that no progress report ever mentions (those of a
// killed server's or puller's orphaned handlers). Header-only so it stays out of pop_core.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

namespace pop::e2e {

// The operation type the ledger handler is registered under.
inline constexpr const char* kLedgerType = "ledger";
// Variable in every ledger handler's environment whose value identifies the test run, so
// that the run's leftover handler processes can be found (and no other process).
inline constexpr const char* kMarkerVariable = "POP_CRASH_MARKER";

// One line of the ledger: "<agendaId> <operation> <attempt> start|done <pid>".
struct LedgerLine {
  std::uintmax_t offset = 0;  // where the line starts in the file
  std::string agenda_id;
  std::string operation;
  int attempt = 0;
  bool start = false;  // "start", else "done"
  pid_t pid = 0;       // the handler's process, which leads its own process group
};

// Writes <dir>/ledger-handler.sh and the registry <dir>/handlers.json that maps kLedgerType
// to it, and returns the registry's path. The handler appends its start line, sleeps for its
// payload's "sleepSeconds", writes {"op": <name>, "payload": <payload>} as its output and
// appends its done line. `echo >>` opens with O_APPEND and the shell writes each line with one
// write(2), so lines of concurrent handlers never interleave.
inline std::filesystem::path write_ledger_handler(const std::filesystem::path& dir,
                                                  const std::filesystem::path& ledger,
                                                  const std::string& marker) {
  const auto script = dir / "ledger-handler.sh";
  std::ofstream(script) << R"sh(
line="$POP_AGENDA_ID $POP_OPERATION_NAME $POP_ATTEMPT"
pause=$(printf '%s' "$POP_PAYLOAD" | sed -n 's/.*"sleepSeconds": *"\([0-9.]*\)".*/\1/p')
echo "$line start $$" >> "$CRASH_LEDGER"
sleep "${pause:-0.05}"
printf '{"op": "%s", "payload": %s}\n' "$POP_OPERATION_NAME" "$POP_PAYLOAD" > "$POP_OUTPUT_FILE"
echo "$line done $$" >> "$CRASH_LEDGER"
)sh";
  const nlohmann::json registry = {
      {"handlers",
       {{kLedgerType,
         {{"command", {"/bin/sh", script.string()}},
          {"env", {{"CRASH_LEDGER", ledger.string()}, {kMarkerVariable, marker}}},
          {"terminationGraceSeconds", 1}}}}}};
  const auto path = dir / "handlers.json";
  std::ofstream(path) << registry.dump(2);
  return path;
}

// The ledger's size now: every line at or beyond it was written later.
inline std::uintmax_t ledger_size(const std::filesystem::path& ledger) {
  std::error_code missing;
  const auto size = std::filesystem::file_size(ledger, missing);
  return missing ? 0 : size;
}

// Every complete line of the ledger (a missing file is an empty ledger). A line that does
// not parse is returned with an empty agenda_id, so the caller can report it.
inline std::vector<LedgerLine> read_ledger(const std::filesystem::path& ledger) {
  std::vector<LedgerLine> lines;
  std::ifstream in(ledger);
  std::string text;
  std::uintmax_t offset = 0;
  while (std::getline(in, text)) {
    LedgerLine line;
    line.offset = offset;
    offset += text.size() + 1;
    std::istringstream fields(text);
    std::string event;
    if (!(fields >> line.agenda_id >> line.operation >> line.attempt >> event >> line.pid) ||
        (event != "start" && event != "done")) {
      line.agenda_id.clear();
      line.operation = text;
    }
    line.start = event == "start";
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace pop::e2e
