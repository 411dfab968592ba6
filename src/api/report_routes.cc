#include "api/report_routes.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

#include "http/error_response.h"
#include "http/headers.h"

namespace pop::api {

using http::HttpRequest;
using http::HttpResponse;
using Json = nlohmann::json;

namespace {

HttpResponse error(const Error& error, const HttpRequest& request) {
  return http::error_response(error, request.correlation_id);
}

// Says why without echoing the token: tokens never appear in answers or logs.
HttpResponse unauthenticated(const HttpRequest& request, std::string_view why) {
  HttpResponse response =
      http::error_response(401, "unauthenticated", why, {}, request.correlation_id);
  response.headers.set("WWW-Authenticate", "Bearer realm=\"pop-reports\"");
  return response;
}

// The token of "Authorization: Bearer <token>" (the scheme is case-insensitive).
std::optional<std::string_view> bearer_token(const HttpRequest& request) {
  auto value = request.header("Authorization");
  constexpr std::string_view kScheme = "Bearer ";
  if (!value || value->size() <= kScheme.size() ||
      !http::iequals(value->substr(0, kScheme.size()), kScheme))
    return std::nullopt;
  return value->substr(kScheme.size());
}

Result<std::uint64_t> integer(std::string_view text, std::string_view what, std::uint64_t min,
                              std::uint64_t max) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max)
    return fail(ErrorCode::kInvalidArgument,
                std::string(what) + " must be an integer from " + std::to_string(min) + " to " +
                    std::to_string(max) + ", not \"" + std::string(text) + "\"");
  return value;
}

HttpResponse post_report(service::ReportService& reports, const HttpRequest& request) {
  auto token = bearer_token(request);
  if (!token)
    return unauthenticated(request, "a report needs \"Authorization: Bearer $POP_REPORT_TOKEN\"");
  auto claims = reports.verify(*token);
  if (!claims) return unauthenticated(request, "the report token is not valid");
  auto report = service::parse_handler_report(request.body);
  if (!report) return error(report.error(), request);
  auto accepted = reports.accept(*claims, *report);
  if (!accepted) return error(accepted.error(), request);
  HttpResponse response;
  response.status = 204;
  return response;
}

HttpResponse get_progress(service::ReportService& reports, const HttpRequest& request) {
  auto epoch = integer(request.path_param("epoch"), "lease epoch", 1, UINT64_MAX);
  if (!epoch) return error(epoch.error(), request);
  auto after = integer(request.query.get("after").value_or("0"), "after", 0, UINT64_MAX);
  if (!after) return error(after.error(), request);
  auto progress = reports.progress_since(request.path_param("id"), *epoch, *after);
  if (!progress) return error(progress.error(), request);
  Json attempts = Json::array();
  for (const auto& attempt : progress->attempts) {
    Json item = {{"operation", attempt.operation}, {"attempt", attempt.attempt}};
    if (attempt.percent_complete) item["percentComplete"] = *attempt.percent_complete;
    if (attempt.message) item["message"] = *attempt.message;
    attempts.push_back(std::move(item));
  }
  return http::json_response(200, {{"attempts", attempts}, {"cursor", progress->cursor}});
}

HttpResponse get_output(service::ReportService& reports, const HttpRequest& request) {
  auto epoch = integer(request.path_param("epoch"), "lease epoch", 1, UINT64_MAX);
  if (!epoch) return error(epoch.error(), request);
  auto attempt = integer(request.path_param("attempt"), "attempt", 1, 1000000);
  if (!attempt) return error(attempt.error(), request);
  const std::string_view operation = request.path_param("operation");
  auto output =
      reports.output(request.path_param("id"), *epoch, operation, static_cast<int>(*attempt));
  if (!output) return error(output.error(), request);
  return http::json_response(200, {{"operation", operation},
                                   {"attempt", *attempt},
                                   {"reported", output->has_value()},
                                   {"output", output->value_or(Json())}});
}

}  // namespace

Result<void> add_report_routes(http::Router& router, service::ReportService& reports) {
  using Add = Result<void>;
  for (Add added :
       {router.add(
            "POST", "/v1/reports",
            [&reports](const HttpRequest& request) { return post_report(reports, request); }),
        router.add(
            "GET", "/v1/agendas/{id}/leases/{epoch}/reports",
            [&reports](const HttpRequest& request) { return get_progress(reports, request); }),
        router.add(
            "GET", "/v1/agendas/{id}/leases/{epoch}/reports/{operation}/{attempt}",
            [&reports](const HttpRequest& request) { return get_output(reports, request); })}) {
    if (!added) return added;
  }
  return {};
}

}  // namespace pop::api
