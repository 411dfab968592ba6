// Values routes read from a request's path, query and headers, with the error a client sees
// when one is wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "http/http_types.h"
#include "util/result.h"

namespace pop::api {

// `text` as a decimal integer in [min, max]. kInvalidArgument naming `what` otherwise.
Result<std::uint64_t> integer_value(std::string_view text, std::string_view what, std::uint64_t min,
                                    std::uint64_t max);

// The lease's key from kLeaseKeyHeader (raw bytes). kInvalidArgument when it is missing or
// not base64url: a request that cannot be the holder's, whoever sends it.
Result<std::string> lease_key(const http::HttpRequest& request);

}  // namespace pop::api
