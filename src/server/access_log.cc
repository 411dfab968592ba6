#include "server/access_log.h"

#include <cstdio>
#include <string>

namespace pop::server {

http::ResponseObserver access_log(Logger& logger) {
  return [&logger](const http::ResponseRecord& record) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.6f", record.duration.count());
    logger.info("request", {{"method", record.method},
                            {"path", record.path},
                            {"route", record.route.empty() ? "unmatched" : record.route},
                            {"status", std::to_string(record.status)},
                            {"seconds", seconds},
                            {"remote", record.remote_address},
                            {"correlation", record.correlation_id}});
  };
}

}  // namespace pop::server
