#include "model/assignment_json.h"

#include "util/base64url.h"

namespace pop {

Json assignment_to_json(const Assignment& assignment) {
  Json document = {{"agenda", assignment.agenda},
                   {"progress", assignment.progress},
                   {"epoch", assignment.epoch}};
  if (!assignment.report_key.empty())
    document["reportKey"] = base64url_encode(assignment.report_key);
  if (!assignment.kubernetes_namespace.empty())
    document["kubernetesNamespace"] = assignment.kubernetes_namespace;
  return document;
}

Result<Assignment> assignment_from_json(const Json& document) {
  if (!document.is_object() || !document.contains("epoch") ||
      !document["epoch"].is_number_unsigned())
    return fail(ErrorCode::kInvalidArgument, "an assignment without a numeric epoch");
  // A server without the report endpoint sends no key: its handlers go without one.
  std::optional<std::string> report_key = std::string();
  if (auto key = document.find("reportKey"); key != document.end())
    report_key = key->is_string() ? base64url_decode(key->get<std::string>()) : std::nullopt;
  if (!report_key)
    return fail(ErrorCode::kInvalidArgument, "an assignment with a malformed reportKey");
  const auto kubernetes_namespace = document.find("kubernetesNamespace");
  if (kubernetes_namespace != document.end() && !kubernetes_namespace->is_string())
    return fail(ErrorCode::kInvalidArgument, "an assignment with a malformed kubernetesNamespace");
  return Assignment{
      document.value("agenda", Json::object()), document.value("progress", Json::object()),
      document["epoch"].get<std::uint64_t>(), std::move(*report_key),
      kubernetes_namespace == document.end() ? "" : kubernetes_namespace->get<std::string>()};
}

}  // namespace pop
