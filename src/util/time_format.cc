#include "util/time_format.h"

#include <cstdio>
#include <ctime>

namespace pop {

std::string format_time(WallTime time) {
  using namespace std::chrono;
  const auto millis = duration_cast<milliseconds>(time.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[96];  // sized for any int fields, so the compiler can prove no truncation
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis % 1000));
  return buffer;
}

Result<WallTime> parse_time(const nlohmann::json& value) {
  using namespace std::chrono;
  if (value.is_number_integer()) return WallTime(milliseconds(value.get<long long>()));
  if (!value.is_string())
    return fail(ErrorCode::kInvalidArgument, "time must be an ISO 8601 string");
  const std::string text = value.get<std::string>();
  std::tm utc{};
  int millis = 0;
  int consumed = 0;
  const int fields =
      std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &utc.tm_year, &utc.tm_mon,
                  &utc.tm_mday, &utc.tm_hour, &utc.tm_min, &utc.tm_sec, &consumed);
  if (fields != 6)
    return fail(ErrorCode::kInvalidArgument, "time \"" + text + "\" is not ISO 8601");
  const char* rest = text.c_str() + consumed;
  if (*rest == '.') {
    int digits = 0;
    ++rest;
    while (*rest >= '0' && *rest <= '9') {
      if (digits < 3) millis = millis * 10 + (*rest - '0');
      ++digits;
      ++rest;
    }
    for (int d = digits; d < 3; ++d) millis *= 10;
  }
  if (std::string(rest) != "Z")
    return fail(ErrorCode::kInvalidArgument, "time \"" + text + "\" must be UTC (end in Z)");
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  return WallTime(seconds(timegm(&utc)) + milliseconds(millis));
}

}  // namespace pop
