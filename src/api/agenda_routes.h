// The REST endpoints of agendas and of the puller protocol, on top of the agenda service.
// docs/api/openapi.yaml describes them; keep the two in step.
// Every route but /healthz acts for the principal the authentication gate set.
#pragma once

#include <memory>

#include "api/long_polls.h"
#include "http/router.h"
#include "service/agendas/agenda_access.h"

namespace pop::api {

// The pull route waits in `long_polls` (api/long_polls.h), which its owner wakes when work
// arrives and stops before the service goes.
class AgendaRoutes {
 public:
  // Borrows the service, which must outlive the routes; shares the long polls.
  AgendaRoutes(service::AgendaAccess& service, std::shared_ptr<LongPolls> long_polls);

  // Adds every route to `router`. kConflict when one is already there.
  Result<void> add_to(http::Router& router);

 private:
  service::AgendaAccess& service_;
  std::shared_ptr<LongPolls> long_polls_;
};

}  // namespace pop::api
