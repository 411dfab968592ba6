// The agenda an agenda template makes: the run request (POST /v1/templates/{id}/run) and the
// template's agenda with it bound (agenda/template_binding.h). Also the trial binding that
// checks a template when it is stored. Submitting it is template_run.h's.
#pragma once

#include <string>
#include <string_view>

#include "service/config/config_service.h"

namespace pop::service {

struct TemplateRunRequest {
  Json payload;                  // pop.payload; null when the request has none
  Json params = Json::object();  // laid over the template's params
  std::string link_id;           // the agenda's linkId when set
};

// Reads the body of a run request: {"payload": any, "params": {...}, "linkId": "..."}, all
// optional. kInvalidArgument naming the field for anything else.
Result<TemplateRunRequest> template_run_request_from_json(const Json& body);

// The agenda the template makes for `request`: its agenda with the payload and the static
// parameters bound, then the template's params and the request's params laid over the
// agenda's params (key by key, the request's winning), and linkId set when given.
// `trial` binds missing payload paths as null (the check of a template when it is stored).
// The agenda is held within `limits` (document bytes, values, depth) as it is built and
// checked whole once built, so callers may load it without measuring it again. kInvalidAgenda,
// naming the path and token, when binding fails; kTooLarge, naming the template, the path, the
// token and the limit, when the agenda would pass a limit.
Result<Json> instantiate_template(const AgendaTemplate& agenda_template,
                                  const TemplateRunRequest& request, bool trial,
                                  const AgendaLimits& limits);

}  // namespace pop::service
