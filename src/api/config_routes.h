// The REST endpoints of the configuration: CRUD of resource pools (/v1/pools), insights
// (/v1/insights), customers (/v1/customers) and agenda templates (/v1/templates), and
// POST /v1/templates/{id}/run. docs/api/openapi.yaml describes them; keep the two in step.
// Each route acts for the principal the authentication gate set; access/access_policy.h
// decides who may read and write what.
#pragma once

#include "http/router.h"
#include "service/agendas/agenda_access.h"
#include "service/config/config_access.h"

namespace pop::api {

class ConfigRoutes {
 public:
  // Borrows both services; they must outlive the router's handlers.
  // `config` is also read directly to run templates.
  ConfigRoutes(service::ConfigAccess& access, service::ConfigService& config,
               service::AgendaAccess& agendas);

  // Adds every route to `router`. kConflict when one is already there.
  Result<void> add_to(http::Router& router);

 private:
  service::ConfigAccess& access_;
  service::ConfigService& config_;
  service::AgendaAccess& agendas_;
};

}  // namespace pop::api
