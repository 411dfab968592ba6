// The REST endpoints of API tokens and of the audit log:
//   POST /v1/tokens, GET /v1/tokens, GET /v1/tokens/{id}, DELETE /v1/tokens/{id}
//   GET /v1/audit?actor=&target=&order=newest&limit=&cursor=         (admins only)
// docs/api/openapi.yaml describes them; access/access_policy.h decides who may do what with
// tokens. Token creation and revocation are audited.
#pragma once

#include "http/router.h"
#include "service/audit/audit_trail.h"
#include "service/tokens/token_service.h"

namespace pop::api {

// Borrows the services; they must outlive the router's handlers.
// kConflict when a route is already there.
Result<void> add_token_routes(http::Router& router, service::TokenService& tokens,
                              service::AuditTrail& audit);

}  // namespace pop::api
