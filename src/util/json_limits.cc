#include "util/json_limits.h"

#include <string>

#include "util/json_size.h"

namespace pop {
using Json = nlohmann::json;

namespace {

std::string too_long(std::size_t bytes, const JsonLimits& limits) {
  return "JSON document is " + std::to_string(bytes) + " bytes, over the limit of " +
         std::to_string(limits.max_bytes) + " bytes";
}

std::string too_many_values(const JsonLimits& limits) {
  return "JSON document exceeds the limit of " + std::to_string(limits.max_values) +
         " JSON values (each scalar, object and array counts)";
}

std::string too_deep(const JsonLimits& limits) {
  return "JSON nesting depth exceeds the limit of " + std::to_string(limits.max_depth);
}

// Drops nlohmann's "[json.exception.parse_error.101] " prefix and the "parse error at line 1,
// column 4: " that repeats the position. The text quotes input bytes ("last read: ..."),
// which may be invalid UTF-8 and would make the message unserialisable as JSON, so bytes
// beyond ASCII become '?'.
std::string reason(const Json::exception& error) {
  std::string what = error.what();
  if (auto bracket = what.find("] "); bracket != std::string::npos) what.erase(0, bracket + 2);
  if (what.starts_with("parse error")) {
    if (auto colon = what.find(": "); colon != std::string::npos) what.erase(0, colon + 2);
  }
  for (char& c : what) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  return what;
}

// A first pass that builds nothing: it rejects a document that is too deep or holds too many
// values before any of it is allocated, and finds syntax errors with their position.
// nlohmann's own callback parser could do these checks while building, but it is several
// times slower than a plain parse, even counting both passes here.
class Checker final : public nlohmann::json_sax<Json> {
 public:
  explicit Checker(const JsonLimits& limits) : limits_(limits) {}

  bool null() override { return count(); }
  bool boolean(bool) override { return count(); }
  bool number_integer(number_integer_t) override { return count(); }
  bool number_unsigned(number_unsigned_t) override { return count(); }
  bool number_float(number_float_t, const string_t&) override { return count(); }
  bool string(string_t&) override { return count(); }
  bool binary(binary_t&) override { return count(); }
  bool key(string_t&) override { return true; }
  bool start_object(std::size_t) override { return open(); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(); }
  bool end_array() override { return close(); }

  bool parse_error(std::size_t position, const std::string&,
                   const Json::exception& error) override {
    // nlohmann counts characters read, so the offending byte is at offset position - 1.
    std::size_t offset = position > 0 ? position - 1 : 0;
    error_ = "invalid JSON at byte offset " + std::to_string(offset) + ": " + reason(error);
    return false;
  }

  // Why the document is over a limit, or empty when it is not.
  const std::string& over_limit() const { return over_limit_; }
  const std::string& error() const { return error_; }

 private:
  bool count() {
    if (++values_ <= limits_.max_values) return true;
    over_limit_ = too_many_values(limits_);
    return false;
  }

  bool open() {
    if (!count()) return false;
    if (++depth_ <= limits_.max_depth) return true;
    over_limit_ = too_deep(limits_);
    return false;
  }

  bool close() {
    --depth_;
    return true;
  }

  const JsonLimits& limits_;
  int depth_ = 0;
  std::size_t values_ = 0;
  std::string over_limit_;
  std::string error_;
};

}  // namespace

Result<nlohmann::json> parse_json_limited(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes)
    return fail(ErrorCode::kTooLarge, too_long(text.size(), limits));
  Checker checker(limits);
  if (!Json::sax_parse(text, &checker)) {
    if (!checker.over_limit().empty()) return fail(ErrorCode::kTooLarge, checker.over_limit());
    return fail(ErrorCode::kInvalidArgument, checker.error());
  }
  Json document = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return fail(ErrorCode::kInternal, "JSON parser rejected a document its first pass accepted");
  }
  return document;
}

Result<void> check_json_limits(const nlohmann::json& value, const JsonLimits& limits) {
  const JsonSize size = json_size(value);
  if (size.bytes > limits.max_bytes)
    return fail(ErrorCode::kTooLarge, too_long(size.bytes, limits));
  if (size.values > limits.max_values) return fail(ErrorCode::kTooLarge, too_many_values(limits));
  if (size.depth > limits.max_depth) return fail(ErrorCode::kTooLarge, too_deep(limits));
  return {};
}

}  // namespace pop
