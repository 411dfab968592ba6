// The operation report endpoint (docs/handler-contract.md) and the lease-fenced reads its
// puller makes, on top of the report service. docs/api/openapi.yaml describes them.
//
//   POST /v1/reports                                            handlers, with their token
//   GET  /v1/agendas/{id}/leases/{epoch}/reports?after=N        the lease's puller: progress
//   GET  /v1/agendas/{id}/leases/{epoch}/reports/{operation}/{attempt}   ... and an output
#pragma once

#include "http/router.h"
#include "service/agendas/agenda_access.h"
#include "service/reports/report_service.h"

namespace pop::api {

// Adds the routes; `reports` and `agendas` must outlive the router's handlers. POST takes
// a reporter principal (service/reports/report_authenticator.h); the reads are for whoever may read
// the agenda (service/agendas/agenda_access.h). kConflict when a route is already there.
Result<void> add_report_routes(http::Router& router, service::ReportService& reports,
                               service::AgendaAccess& agendas);

}  // namespace pop::api
