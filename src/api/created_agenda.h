// The answer to a submit that was accepted, whether it came as an agenda (POST /v1/agendas)
// or from a template (POST /v1/templates/{id}/run): one shape for both.
#pragma once

#include "http/http_types.h"
#include "service/agendas/agenda_service.h"

namespace pop::api {

// 201 with the stored agenda, Location: /v1/agendas/{id}, and Idempotent-Replayed: true when
// the Idempotency-Key named an agenda submitted before.
http::HttpResponse created_agenda(const service::SubmittedAgenda& submitted);

}  // namespace pop::api
