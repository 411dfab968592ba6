// The REST endpoints of agendas and of the puller protocol, on top of the agenda service.
// docs/api/openapi.yaml describes them; keep the two in step.
// Every route but /healthz acts for the principal the authentication gate set.
#pragma once

#include <memory>

#include "api/long_polls.h"
#include "http/router.h"
#include "service/agenda_access.h"
#include "service/ready_signal.h"

namespace pop::api {

// Owns the long polls of the pull route (api/long_polls.h), which hear of work from
// `signal` from construction until stop().
class AgendaRoutes {
 public:
  // Borrows the service and the signal; both must outlive this object. Takes `signal`'s one
  // listener.
  AgendaRoutes(service::AgendaAccess& service, service::ReadySignal& signal,
               LongPollLimits limits = {});
  ~AgendaRoutes();

  // Adds every route to `router`. kConflict when one is already there.
  Result<void> add_to(http::Router& router);

  // Completes every pending long poll with an empty answer and joins their threads; later
  // pulls are answered at once. Idempotent.
  void stop();

 private:
  service::AgendaAccess& service_;
  service::ReadySignal& signal_;
  std::shared_ptr<LongPolls> long_polls_;
};

}  // namespace pop::api
