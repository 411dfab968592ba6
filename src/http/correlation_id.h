// Correlation ids tie a client's request to the server's logs and error bodies. A client
// may choose its own (X-Correlation-Id) so one id can span several services; the server
// accepts it only when it is safe to copy into headers, JSON and log lines unescaped.
#pragma once

#include <string>
#include <string_view>

namespace pop::http {

inline constexpr std::string_view kCorrelationIdHeader = "X-Correlation-Id";
inline constexpr std::size_t kMaxCorrelationIdLength = 128;

// True for 1..kMaxCorrelationIdLength characters from [A-Za-z0-9._:-].
bool is_sane_correlation_id(std::string_view id);

// 128 random bits as 32 lowercase hex digits. Unique in practice, not a secret: do not use
// it as a token. Thread-safe.
std::string generate_correlation_id();

// `client_value` when sane, else a fresh generated id.
std::string correlation_id_for(std::string_view client_value);

}  // namespace pop::http
