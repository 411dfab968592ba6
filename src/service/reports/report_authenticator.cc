#include "service/reports/report_authenticator.h"

namespace pop::service {

ReportAuthenticator::ReportAuthenticator(const ReportService& reports) : reports_(reports) {}

Result<std::optional<auth::Principal>> ReportAuthenticator::authenticate(
    std::string_view token) const {
  if (!token.starts_with("popr1.")) return std::nullopt;
  auto claims = reports_.verify(token);
  if (!claims) return fail(ErrorCode::kUnauthenticated, "the report token is not valid");
  auth::Principal principal;
  principal.role = auth::Role::kReporter;
  principal.name = "reporter:" + claims->agenda_id + "/" + claims->operation + "#" +
                   std::to_string(claims->attempt);
  principal.report_scope = {claims->agenda_id, claims->epoch, claims->operation, claims->attempt};
  return principal;
}

}  // namespace pop::service
