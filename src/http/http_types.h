// The request and response as handlers see them: plain values, independent of the HTTP
// library underneath, so that handlers and their tests need no networking headers.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/headers.h"
#include "http/query_string.h"
#include "util/logger.h"

namespace pop::auth {
struct Principal;
}

namespace pop::http {

struct HttpRequest {
  std::string method;  // as sent; methods are case-sensitive ("GET", not "get")
  std::string target;  // the raw request-target, e.g. "/v1/agendas/a%2Fb?limit=10"
  std::string path;    // target up to '?', still percent-encoded so that %2F stays data
  QueryParams query;   // decoded
  Headers headers;
  std::string body;
  int version = 11;            // 10 for HTTP/1.0, 11 for HTTP/1.1
  std::string remote_address;  // "ip:port" of the peer
  // The request's correlation id: the client's X-Correlation-Id when sane, else generated.
  // The server echoes it on the response; handlers put it in logs and error bodies.
  std::string correlation_id;
  // Filled by the Router from `{name}` segments of the matched pattern, decoded.
  std::map<std::string, std::string, std::less<>> path_params;
  // Who sent it, set by the Router's gate (Router::set_gate) before a guarded route runs;
  // null on open routes and in servers without a gate.
  std::shared_ptr<const auth::Principal> principal;
  // The server's logger (ServerOptions::logger), for what a handler or gate decides about
  // the request and an operator must see: a refusal, a request forbidden. Never null.
  Logger* logger = &null_logger();

  std::optional<std::string_view> header(std::string_view name) const { return headers.get(name); }
  // The decoded value of a `{name}` path segment; empty when the route has no such segment.
  std::string_view path_param(std::string_view name) const {
    auto it = path_params.find(name);
    return it == path_params.end() ? std::string_view() : std::string_view(it->second);
  }
};

struct HttpResponse {
  int status = 200;
  // The server sets Content-Length, Transfer-Encoding, Connection, Date and X-Correlation-Id
  // itself and ignores handler values for them, except that "Connection: close" is honoured.
  Headers headers;
  std::string body;
};

}  // namespace pop::http
