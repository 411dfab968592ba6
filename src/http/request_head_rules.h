// What RFC 9110 and RFC 9112 require of a request's head beyond what the parser checks,
// decided before anything else is done with the request (in particular before its body is
// read or its sender authenticated).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/headers.h"

namespace pop::http {

// Why a request head is refused: the status, the error shape's code and its message.
struct HeadRefusal {
  int status = 400;
  std::string_view code;
  std::string message;
};

// Nothing for an acceptable head. Refused:
// - an HTTP/1.1 request without exactly one Host field, or an HTTP/1.0 one with several
//   (400, RFC 9112 §3.2);
// - Transfer-Encoding on HTTP/1.0 (400, RFC 9112 §6.1), or anything but the single coding
//   `chunked` (501: this server implements no other coding, and one it does not decode
//   must not be passed on as if it were plain);
// - more than one Authorization field (400: which credential counts would be a guess).
// `version` is 10 or 11.
std::optional<HeadRefusal> check_request_head(int version, const Headers& headers);

}  // namespace pop::http
