// Where handlers post progress and results when no --report-url says otherwise: the
// server's own report endpoint. Shared by `pop puller` and `pop executor`.
#pragma once

#include <string>

namespace pop::cli {

// `report_url` when set, else `server` (trailing slashes dropped) + "/v1/reports".
std::string report_url_or_default(const std::string& report_url, const std::string& server);

}  // namespace pop::cli
