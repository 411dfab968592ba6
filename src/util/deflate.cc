#include "util/deflate.h"

#include <zlib.h>

#include <algorithm>
#include <array>

namespace pop {
namespace {

// zlib counts in uInt; inputs larger than that are fed in slices.
constexpr std::size_t kSlice = 1u << 30;

Bytef* input_bytes(std::string_view bytes) {
  // zlib's API is not const-correct; it never writes to next_in.
  return reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
}

}  // namespace

std::string deflate_bytes(std::string_view bytes) {
  z_stream stream{};
  (void)deflateInit(&stream, Z_DEFAULT_COMPRESSION);
  std::string compressed;
  std::array<char, 16384> buffer;
  int flush = Z_NO_FLUSH;
  while (flush != Z_FINISH || stream.avail_out == 0) {
    if (stream.avail_in == 0) {
      const std::size_t slice = std::min(bytes.size(), kSlice);
      stream.next_in = input_bytes(bytes);
      stream.avail_in = static_cast<uInt>(slice);
      bytes.remove_prefix(slice);
      if (bytes.empty()) flush = Z_FINISH;
    }
    stream.next_out = reinterpret_cast<Bytef*>(buffer.data());
    stream.avail_out = static_cast<uInt>(buffer.size());
    const int status = deflate(&stream, flush);
    compressed.append(buffer.data(), buffer.size() - stream.avail_out);
    if (status == Z_STREAM_END) break;
  }
  deflateEnd(&stream);
  return compressed;
}

Result<std::string> inflate_bytes(std::string_view compressed, std::size_t max_bytes) {
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) return fail(ErrorCode::kInternal, "zlib cannot start");
  std::string bytes;
  std::array<char, 16384> buffer;
  int status = Z_OK;
  while (status != Z_STREAM_END) {
    if (stream.avail_in == 0) {
      if (compressed.empty()) break;
      const std::size_t slice = std::min(compressed.size(), kSlice);
      stream.next_in = input_bytes(compressed);
      stream.avail_in = static_cast<uInt>(slice);
      compressed.remove_prefix(slice);
    }
    stream.next_out = reinterpret_cast<Bytef*>(buffer.data());
    stream.avail_out = static_cast<uInt>(buffer.size());
    status = inflate(&stream, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END) break;
    bytes.append(buffer.data(), buffer.size() - stream.avail_out);
    if (bytes.size() > max_bytes) {
      inflateEnd(&stream);
      return fail(ErrorCode::kInvalidArgument,
                  "compressed data inflates past " + std::to_string(max_bytes) + " bytes");
    }
  }
  const bool complete = status == Z_STREAM_END && stream.avail_in == 0 && compressed.empty();
  inflateEnd(&stream);
  if (!complete) return fail(ErrorCode::kInvalidArgument, "not complete zlib data");
  return bytes;
}

}  // namespace pop
