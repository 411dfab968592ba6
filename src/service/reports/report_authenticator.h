// Operation report tokens (report_token.h) as credentials: a valid one makes its bearer a
// reporter principal scoped to one operation attempt. Whether the attempt's lease is still
// held is the report service's check, on each report.
#pragma once

#include "auth/authenticator.h"
#include "service/reports/report_service.h"

namespace pop::service {

class ReportAuthenticator final : public auth::Authenticator {
 public:
  // Borrows `reports`, which must outlive this object.
  explicit ReportAuthenticator(const ReportService& reports);

  // Tokens of the "popr1." kind; kUnauthenticated for one that does not verify.
  Result<std::optional<auth::Principal>> authenticate(std::string_view token) const override;

 private:
  const ReportService& reports_;
};

}  // namespace pop::service
