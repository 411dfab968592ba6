// How a handler written in C++ reports progress under any runner: a JSON line on
// POP_PROGRESS_FD when the runner provides one (local runner); otherwise a POST to the
// report endpoint (POP_REPORT_URL with POP_REPORT_TOKEN, verified with POP_REPORT_CA), as
// container and Pod handlers must; else nothing.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "http_client/client.h"

namespace pop {

class ProgressReporter {
 public:
  // Posts to the report endpoint at most this often; the last report before an end (100%)
  // always goes out.
  static constexpr std::chrono::milliseconds kReportInterval{1000};

  // Reads POP_PROGRESS_FD, else POP_REPORT_URL/TOKEN/CA, from the environment.
  ProgressReporter();
  // Best effort: a handler never fails because progress could not be delivered.
  void report(double percent_complete, const std::string& message);

 private:
  int fd_ = -1;
  std::optional<http_client::Client> endpoint_;
  std::string endpoint_path_;
  std::optional<std::chrono::steady_clock::time_point> last_post_;
};

}  // namespace pop
