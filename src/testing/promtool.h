// Test support: Prometheus' own check of a text exposition (`promtool check metrics`, from
// Debian's `prometheus` package, which scripts/setup.sh installs). Header-only.
#pragma once

#include <filesystem>
#include <string>

#include "testing/subprocess.h"

namespace pop::testing {

inline constexpr const char* kPromtool = "/usr/bin/promtool";

// promtool's verdict on `exposition`: exit status 0 when it accepts it (lint warnings
// included in `out`/`err`); 127 when promtool is missing.
inline ProcessResult promtool_check_metrics(const std::string& exposition,
                                            const std::string& scratch_dir) {
  if (!std::filesystem::exists(kPromtool))
    return {127, "", "promtool is missing: scripts/setup.sh installs Debian's prometheus package"};
  return run_process({kPromtool, "check", "metrics"}, {}, scratch_dir, exposition);
}

}  // namespace pop::testing
