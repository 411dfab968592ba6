// Private to the HTTP layer: turning away a connection the server will not serve (over its
// connection limits), at once and without holding anything for it. Kept free of the
// networking library: it works on the accepted descriptor.
#pragma once

#include <string>
#include <string_view>

namespace pop::http::detail {

// The whole HTTP/1.1 answer sent to a shed connection: 503 in the error shape, with
// Retry-After and "Connection: close".
std::string shed_response(std::string_view message);

// Answers `fd` (a freshly accepted, non-blocking socket) with shed_response(message) when
// `plaintext` (over TLS there is no way to answer before a handshake), then closes it.
// Input that has already arrived is read and dropped first, so that closing does not
// reset the connection before the client can read the answer. Never blocks.
void shed_connection(int fd, bool plaintext, std::string_view message);

}  // namespace pop::http::detail
