// Request targets without sockets, many times faster than http_request: the query string and
// percent-decoding (http/query_string.h) and the Router's matching of decoded path segments
// (http/router.h). Input: "METHOD TARGET"; no space: the whole input is a GET's target.
//
// Beyond not crashing: the router answers 200 (the route ran), 400 (a segment that does not
// decode), 404 or 405, and nothing else; every decoded query parameter and path segment,
// percent-encoded again (http_client/url.h, what the CLI and the puller send), decodes to
// itself.
#include <algorithm>

#include "fuzz_support.h"
#include "http/error_response.h"
#include "http/exchange.h"
#include "http/query_string.h"
#include "http/router.h"
#include "http_client/url.h"

namespace {

using pop::http::HttpRequest;
using pop::http::HttpResponse;

pop::http::Router make_router() {
  pop::http::Router router;
  auto answer = [](const HttpRequest& request) {
    // Every segment the router decoded for the route goes back through the encoder.
    for (const auto& [name, value] : request.path_params) {
      POP_FUZZ_CHECK(!value.empty());
      const auto again = pop::http::percent_decode(pop::http_client::percent_encode(value), false);
      POP_FUZZ_CHECK(again.has_value() && *again == value);
    }
    return pop::http::json_response(200, {{"params", request.path_params.size()}});
  };
  for (const char* pattern : {"/", "/healthz", "/v1/agendas", "/v1/agendas/search",
                              "/v1/agendas/{id}", "/v1/agendas/{id}/operations/{operation}",
                              "/v1/{kind}/search", "/v1/pools/{pool}/leases/{agenda}/progress"}) {
    POP_FUZZ_CHECK(router.add("GET", pattern, answer).has_value());
  }
  POP_FUZZ_CHECK(router.add("POST", "/v1/agendas", answer).has_value());
  POP_FUZZ_CHECK(router.add("DELETE", "/v1/agendas/{id}", answer).has_value());
  return router;
}

const pop::http::Router& router() {
  static const pop::http::Router instance = make_router();
  return instance;
}

void check_query(std::string_view query) {
  const auto params = pop::http::parse_query(query);
  if (!params) return;
  std::string encoded;
  for (const auto& [name, value] : params->params()) {
    if (!encoded.empty()) encoded += '&';
    encoded +=
        pop::http_client::percent_encode(name) + "=" + pop::http_client::percent_encode(value);
  }
  const auto again = pop::http::parse_query(encoded);
  POP_FUZZ_CHECK(again.has_value() && again->params() == params->params());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = pop::fuzz::as_text(data, size);
  const std::size_t space = input.find(' ');
  HttpRequest request;
  request.method = space == std::string_view::npos ? "GET" : std::string(input.substr(0, space));
  const std::string_view target = space == std::string_view::npos ? input : input.substr(space + 1);
  // Only what the server's HTTP parser lets through: no space or control character.
  if (std::any_of(target.begin(), target.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }))
    return 0;
  const std::size_t question = target.find('?');
  request.target = std::string(target);
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) check_query(target.substr(question + 1));
  // The server only routes origin-form targets.
  if (!request.path.starts_with('/')) return 0;

  auto exchange = std::make_shared<pop::http::detail::Exchange>(
      "fuzz", nullptr, std::weak_ptr<pop::http::detail::ExchangePort>(), 1024);
  request.correlation_id = "fuzz";
  router().dispatch(std::move(request), pop::http::Responder(exchange));
  const auto output = exchange->take_output();
  POP_FUZZ_CHECK(output.response.has_value());
  const int status = output.response->status;
  POP_FUZZ_CHECK(status == 200 || status == 400 || status == 404 || status == 405);
  return 0;
}
