// The REST endpoints of agendas and of the puller protocol, on top of the agenda service.
// docs/api/openapi.yaml describes them; keep the two in step.
// Every route but /healthz acts for the principal the authentication gate set.
#pragma once

#include <memory>

#include "http/router.h"
#include "service/agenda_access.h"
#include "service/ready_signal.h"

namespace pop::api {

class LongPolls;

// Owns the threads that hold long polls open; stop() answers them all and joins.
class AgendaRoutes {
 public:
  // Borrows the service and signal; both must outlive this object.
  AgendaRoutes(service::AgendaAccess& service, service::ReadySignal& signal);
  ~AgendaRoutes();

  // Adds every route to `router`. kConflict when one is already there.
  Result<void> add_to(http::Router& router);

  // Completes every pending long poll with an empty answer and joins their threads.
  void stop();

 private:
  service::AgendaAccess& service_;
  service::ReadySignal& signal_;
  std::shared_ptr<LongPolls> long_polls_;
};

}  // namespace pop::api
