#include "peer_queues.h"

#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>

#include "testing/subprocess.h"

namespace pop::bench {
namespace {

namespace fs = std::filesystem;

// The first executable `name` in $PATH, or an empty path.
fs::path find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path == nullptr ? "" : path;
  while (!rest.empty()) {
    const std::size_t colon = rest.find(':');
    const fs::path candidate = fs::path(rest.substr(0, colon)) / name;
    if (!candidate.parent_path().empty() && ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    rest = colon == std::string_view::npos ? "" : rest.substr(colon + 1);
  }
  return {};
}

// The last non-empty line of `text` (a failing script's message), at most 300 characters.
std::string last_line(const std::string& text) {
  std::istringstream lines(text);
  std::string line, last;
  while (std::getline(lines, line))
    if (!line.empty()) last = line;
  return last.substr(0, 300);
}

}  // namespace

PeerRun run_peer_queues(const testing::PostgresCluster& cluster, std::size_t jobs, int concurrency,
                        int clients, const fs::path& scratch) {
  PeerRun run;
  const fs::path peers = POP_PEERS_DIR;
  const fs::path node = find_on_path("node");
  if (node.empty()) {
    run.skipped = "no node on PATH (scripts/setup.sh --bench installs it)";
    return run;
  }
  if (!fs::exists(peers / "node_modules")) {
    run.skipped =
        "no " + (peers / "node_modules").string() + " (npm ci --prefix " + peers.string() + ")";
    return run;
  }
  run.node_version = last_line(testing::run_process({node, "--version"}, {}, scratch.string()).out);
  const testing::ProcessResult result = testing::run_process(
      {node, (peers / "run.mjs").string(), "--json", "--host", cluster.socket_directory().string(),
       "--port", std::to_string(testing::PostgresCluster::kPort), "--user", "postgres",
       "--database", "postgres", "--jobs", std::to_string(jobs), "--concurrency",
       std::to_string(concurrency), "--clients", std::to_string(clients)},
      {}, scratch.string());
  if (result.exit_status != 0) {
    run.skipped =
        "run.mjs exited with " + std::to_string(result.exit_status) + ": " + last_line(result.err);
    return run;
  }
  std::istringstream lines(result.out);
  std::string line;
  while (std::getline(lines, line)) {
    const auto row = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (row.is_discarded() || !row.is_object()) continue;
    run.rows.push_back({row.value("peer", ""), row.value("version", ""),
                        row.value("jobs", std::size_t{0}), row.value("enqueuePerSecond", 0.0),
                        row.value("enqueueSeconds", 0.0), row.value("drainSeconds", 0.0),
                        row.value("jobsPerSecond", 0.0)});
  }
  if (run.rows.empty()) run.skipped = "run.mjs printed no rows: " + last_line(result.out);
  return run;
}

}  // namespace pop::bench
