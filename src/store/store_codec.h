// How the stores turn records into column values and back: times as epoch
// milliseconds, JSON documents as text, listing cursors as tagged strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/store_types.h"
#include "util/result.h"

namespace pop::store {

// Floors to the millisecond, so a time read back is never later than the one written.
std::int64_t to_millis(WallTime time);
WallTime from_millis(std::int64_t millis);

// kInvalidArgument when the document cannot be serialized (a string with invalid UTF-8).
// `what` names the document in the message.
Result<std::string> encode_json(const Json& document, std::string_view what);
// kInternal: stored text that is not JSON means the file was altered or a bug wrote it.
Result<Json> decode_json(std::string_view text, std::string_view what);

// A cursor naming a position in a listing ordered by an integer, tagged with the
// listing's letter so that a cursor from another listing is rejected.
std::string encode_sequence_cursor(char listing, std::int64_t sequence);
// Empty cursor: `start`. kInvalidArgument: not a cursor of this listing.
Result<std::int64_t> decode_sequence_cursor(std::string_view cursor, char listing,
                                            std::int64_t start);

// The same for listings ordered by a text id.
std::string encode_id_cursor(char listing, std::string_view id);
Result<std::string> decode_id_cursor(std::string_view cursor, char listing);

}  // namespace pop::store
