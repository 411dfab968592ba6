#include "util/json_limits.h"

#include <string>

namespace pop {
namespace {

using Json = nlohmann::json;

// Thrown from the parser callback: nlohmann stops parsing only when the callback throws.
struct DepthExceeded {};

// Drops nlohmann's "[json.exception.parse_error.101] " prefix, which means nothing to a user.
// The text quotes input bytes ("last read: ..."), which may be invalid UTF-8 and would make
// the message itself unserialisable as JSON, so bytes beyond ASCII become '?'.
std::string without_exception_id(const Json::exception& error) {
  std::string what = error.what();
  if (auto bracket = what.find("] "); bracket != std::string::npos) what.erase(0, bracket + 2);
  for (char& c : what) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  return what;
}

// nlohmann's text is "parse error at line 1, column 4: why"; callers get the position first,
// as a byte offset, followed by the reason.
std::string syntax_error_message(const Json::parse_error& error) {
  std::string what = without_exception_id(error);
  std::string where;
  if (auto colon = what.find(": "); colon != std::string::npos) {
    constexpr std::string_view kPrefix = "parse error at ";
    if (what.starts_with(kPrefix)) {
      where = " (" + what.substr(kPrefix.size(), colon - kPrefix.size()) + ")";
    }
    what.erase(0, colon + 2);
  }
  // nlohmann counts from 1; an offset counts from 0 and then points at the offending byte.
  std::size_t offset = error.byte > 0 ? error.byte - 1 : 0;
  return "invalid JSON at byte offset " + std::to_string(offset) + where + ": " + what;
}

}  // namespace

Result<nlohmann::json> parse_json_limited(std::string_view text, std::size_t max_bytes,
                                          int max_depth) {
  if (text.size() > max_bytes) {
    return fail(ErrorCode::kTooLarge, "JSON document is " + std::to_string(text.size()) +
                                          " bytes, over the limit of " + std::to_string(max_bytes) +
                                          " bytes");
  }
  // `depth` is the number of containers already open, so the one starting now is depth + 1.
  auto limit_depth = [max_depth](int depth, Json::parse_event_t event, Json&) {
    bool opens =
        event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start;
    if (opens && depth + 1 > max_depth) throw DepthExceeded{};
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), limit_depth);
  } catch (const DepthExceeded&) {
    return fail(ErrorCode::kTooLarge,
                "JSON nesting depth exceeds the limit of " + std::to_string(max_depth));
  } catch (const Json::parse_error& error) {
    return fail(ErrorCode::kInvalidArgument, syntax_error_message(error));
  } catch (const Json::exception& error) {
    // Other parser failures, e.g. a number too large for a double (out_of_range.406).
    return fail(ErrorCode::kInvalidArgument, "invalid JSON: " + without_exception_id(error));
  }
}

}  // namespace pop
