// The request a caller sends and the response it gets back: plain values, so that callers
// and their tests never see libcurl's types.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "http_client/headers.h"

namespace pop::http_client {

struct Request {
  std::string method = "GET";  // sent as given; methods are case-sensitive
  // Path and query appended to the client's base URL, e.g. "/v1/agendas?limit=10". Must
  // start with '/' and be already percent-encoded (see percent_encode in url.h).
  std::string target{};
  // Sent with Content-Length when non-empty, or when the method is POST, PUT or PATCH.
  std::string body{};
  // Added to the request, replacing the client's own Authorization, User-Agent and
  // Content-Type when given. An empty value removes a header the client would send.
  Headers headers{};
  // Overrides ClientOptions::request_timeout for this request (stream(): the default is no
  // limit). Zero means no limit.
  std::optional<std::chrono::milliseconds> timeout{};
};

struct Response {
  int status = 0;
  Headers headers{};
  // The whole body for request(); for stream(), only the body of a non-2xx response (a 2xx
  // body goes to the chunk handler instead).
  std::string body{};
  std::string url{};  // the URL that was requested, for messages

  bool ok() const { return status >= 200 && status < 300; }
  // The value of header `name`, or an empty view.
  std::string_view header(std::string_view name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string_view() : std::string_view(it->second);
  }
};

}  // namespace pop::http_client
