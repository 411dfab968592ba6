#include "store/store_codec.h"

#include <charconv>
#include <chrono>

namespace pop::store {

std::int64_t to_millis(WallTime time) {
  return std::chrono::floor<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

WallTime from_millis(std::int64_t millis) { return WallTime{std::chrono::milliseconds(millis)}; }

Result<std::string> encode_json(const Json& document, std::string_view what) {
  try {
    return document.dump();
  } catch (const Json::exception& e) {
    return fail(ErrorCode::kInvalidArgument,
                "cannot store the " + std::string(what) + ": " + e.what());
  }
}

Result<Json> decode_json(std::string_view text, std::string_view what) {
  Json document = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return fail(ErrorCode::kInternal, "the stored " + std::string(what) + " is not valid JSON");
  }
  return document;
}

std::string encode_sequence_cursor(char listing, std::int64_t sequence) {
  return std::string(1, listing) + ":" + std::to_string(sequence);
}

Result<std::int64_t> decode_sequence_cursor(std::string_view cursor, char listing,
                                            std::int64_t start) {
  if (cursor.empty()) return start;
  std::int64_t sequence = 0;
  if (cursor.size() > 2 && cursor[0] == listing && cursor[1] == ':') {
    const char* first = cursor.data() + 2;
    const char* last = cursor.data() + cursor.size();
    auto [end, error] = std::from_chars(first, last, sequence);
    if (error == std::errc() && end == last && sequence >= 0) return sequence;
  }
  return fail(ErrorCode::kInvalidArgument, "invalid page cursor '" + std::string(cursor) + "'");
}

std::string encode_id_cursor(char listing, std::string_view id) {
  return std::string(1, listing) + ":" + std::string(id);
}

Result<std::string> decode_id_cursor(std::string_view cursor, char listing) {
  if (cursor.empty()) return std::string();
  if (cursor.size() >= 2 && cursor[0] == listing && cursor[1] == ':') {
    return std::string(cursor.substr(2));
  }
  return fail(ErrorCode::kInvalidArgument, "invalid page cursor '" + std::string(cursor) + "'");
}

}  // namespace pop::store
