// The REST endpoints of the configuration: CRUD of resource pools (/v1/pools), insights
// (/v1/insights), customers (/v1/customers) and agenda templates (/v1/templates), and
// POST /v1/templates/{id}/run. docs/api/openapi.yaml describes them; keep the two in step.
//
// Until authentication lands (issue 4) every caller is the customer `default`, acting as
// an admin. Each handler starts from the request's Caller, so the authorisation check of a
// route is one line there; config_routes.cc notes which routes are admin-only.
#pragma once

#include "http/router.h"
#include "service/agenda_service.h"
#include "service/config_service.h"

namespace pop::api {

class ConfigRoutes {
 public:
  // Borrows both services; they must outlive the router's handlers.
  ConfigRoutes(service::ConfigService& config, service::AgendaService& agendas);

  // Adds every route to `router`. kConflict when one is already there.
  Result<void> add_to(http::Router& router);

 private:
  service::ConfigService& config_;
  service::AgendaService& agendas_;
};

}  // namespace pop::api
