#include "util/json_limits.h"

#include <string>

namespace pop {
namespace {

using Json = nlohmann::json;

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

// A first pass that builds nothing: it rejects a document that is too deep before any of it
// is allocated, and finds syntax errors with their position. nlohmann's own callback parser
// could do the depth check while building, but it is several times slower than a plain
// parse, even counting both passes here.
class Checker final : public nlohmann::json_sax<Json> {
 public:
  explicit Checker(int max_depth) : max_depth_(max_depth) {}

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
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

  bool too_deep() const { return too_deep_; }
  const std::string& error() const { return error_; }

 private:
  bool open() {
    too_deep_ = ++depth_ > max_depth_;
    return !too_deep_;
  }

  bool close() {
    --depth_;
    return true;
  }

  int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
  std::string error_;
};

}  // namespace

Result<nlohmann::json> parse_json_limited(std::string_view text, std::size_t max_bytes,
                                          int max_depth) {
  if (text.size() > max_bytes) {
    return fail(ErrorCode::kTooLarge, "JSON document is " + std::to_string(text.size()) +
                                          " bytes, over the limit of " + std::to_string(max_bytes) +
                                          " bytes");
  }
  Checker checker(max_depth);
  if (!Json::sax_parse(text, &checker)) {
    if (checker.too_deep()) {
      return fail(ErrorCode::kTooLarge,
                  "JSON nesting depth exceeds the limit of " + std::to_string(max_depth));
    }
    return fail(ErrorCode::kInvalidArgument, checker.error());
  }
  Json document = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return fail(ErrorCode::kInternal, "JSON parser rejected a document its first pass accepted");
  }
  return document;
}

}  // namespace pop
