#include "cli/report_url.h"

namespace pop::cli {

std::string report_url_or_default(const std::string& report_url, const std::string& server) {
  if (!report_url.empty()) return report_url;
  std::string base = server;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/v1/reports";
}

}  // namespace pop::cli
