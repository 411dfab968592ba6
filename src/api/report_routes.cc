#include "api/report_routes.h"

#include <cstdint>
#include <optional>
#include <string_view>

#include "access/access_policy.h"
#include "api/api_error.h"
#include "api/authentication_gate.h"
#include "api/request_values.h"
#include "http/error_response.h"
#include "service/reports/report_request.h"

namespace pop::api {

using http::HttpRequest;
using http::HttpResponse;
using Json = nlohmann::json;

namespace {

HttpResponse error(const Error& error, const HttpRequest& request) {
  return api_error(error, request);
}

HttpResponse post_report(service::ReportService& reports, const HttpRequest& request) {
  const auth::Principal& caller = caller_of(request);
  if (auto allowed = access::check_post_report(caller); !allowed)
    return error(allowed.error(), request);
  const auth::ReportScope& scope = caller.report_scope;
  const ReportClaims claims{scope.agenda_id, scope.epoch, scope.operation, scope.attempt};
  auto report = service::parse_handler_report(request.body);
  if (!report) return error(report.error(), request);
  auto accepted = reports.accept(claims, *report);
  if (!accepted) return error(accepted.error(), request);
  HttpResponse response;
  response.status = 204;
  return response;
}

HttpResponse get_progress(service::ReportService& reports, service::AgendaAccess& agendas,
                          const HttpRequest& request) {
  if (auto allowed = agendas.check_read(caller_of(request), request.path_param("id")); !allowed)
    return error(allowed.error(), request);
  auto epoch = integer_value(request.path_param("epoch"), "lease epoch", 1, UINT64_MAX);
  if (!epoch) return error(epoch.error(), request);
  auto after = integer_value(request.query.get("after").value_or("0"), "after", 0, UINT64_MAX);
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

HttpResponse get_output(service::ReportService& reports, service::AgendaAccess& agendas,
                        const HttpRequest& request) {
  if (auto allowed = agendas.check_read(caller_of(request), request.path_param("id")); !allowed)
    return error(allowed.error(), request);
  auto epoch = integer_value(request.path_param("epoch"), "lease epoch", 1, UINT64_MAX);
  if (!epoch) return error(epoch.error(), request);
  auto attempt = integer_value(request.path_param("attempt"), "attempt", 1, 1000000);
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

Result<void> add_report_routes(http::Router& router, service::ReportService& reports,
                               service::AgendaAccess& agendas) {
  using Add = Result<void>;
  for (Add added :
       {router.add(
            "POST", "/v1/reports",
            [&reports](const HttpRequest& request) { return post_report(reports, request); },
            http::BodyLimit{service::kReportBodyLimits.max_bytes}),
        router.add("GET", "/v1/agendas/{id}/leases/{epoch}/reports",
                   [&reports, &agendas](const HttpRequest& request) {
                     return get_progress(reports, agendas, request);
                   }),
        router.add("GET", "/v1/agendas/{id}/leases/{epoch}/reports/{operation}/{attempt}",
                   [&reports, &agendas](const HttpRequest& request) {
                     return get_output(reports, agendas, request);
                   })}) {
    if (!added) return added;
  }
  return {};
}

}  // namespace pop::api
