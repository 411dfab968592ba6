#include "service/reports/report_request.h"

#include "model/output_budget.h"
#include "util/json_limits.h"
#include "util/json_size.h"

namespace pop::service {
using Json = nlohmann::json;

namespace {}  // namespace

Result<HandlerReport> parse_handler_report(std::string_view body) {
  auto json = parse_json_limited(body, kReportBodyLimits);
  if (!json) return fail(json.error().code, "report body: " + json.error().message);
  if (!json->is_object()) return fail(ErrorCode::kInvalidArgument, "report body must be an object");
  HandlerReport report;
  for (auto& [name, value] : json->items()) {
    if (name == "percentComplete") {
      if (!value.is_number() || value.get<double>() < 0 || value.get<double>() > 100)
        return fail(ErrorCode::kInvalidArgument, "percentComplete must be a number from 0 to 100");
      report.percent_complete = value.get<double>();
    } else if (name == "message") {
      if (!value.is_string()) return fail(ErrorCode::kInvalidArgument, "message must be a string");
      if (value.get_ref<const std::string&>().size() > kMaxReportMessageBytes)
        return fail(ErrorCode::kTooLarge,
                    "message is longer than " + std::to_string(kMaxReportMessageBytes) + " bytes");
      report.message = value.get<std::string>();
    } else if (name == "output") {
      // The same check as for an output from any other source (model/output_budget.h).
      if (auto fits = check_output_size(json_size(value),
                                        {kMaxReportedOutputBytes, kMaxReportedOutputValues});
          !fits)
        return fail(std::move(fits.error()));
      report.output = std::move(value);
    } else {
      return fail(
          ErrorCode::kInvalidArgument,
          "unknown field \"" + name + "\" (a report has percentComplete, message and output)");
    }
  }
  if (!report.percent_complete && !report.message && !report.output)
    return fail(ErrorCode::kInvalidArgument,
                "a report needs at least one of percentComplete, message and output");
  return report;
}

}  // namespace pop::service
