// Running an agenda template (POST /v1/templates/{id}/run): the template's agenda is made
// (template_instance.h) and submitted like any agenda, as the caller's, so access, validation,
// insight binding and idempotency all apply to it.
#pragma once

#include <string>
#include <string_view>

#include "auth/principal.h"
#include "service/agendas/agenda_access.h"
#include "service/config/config_service.h"
#include "service/config/template_instance.h"

namespace pop::service {

// Instantiates the template and submits the agenda as the caller's. Errors as for
// AgendaAccess::submit, and kNotFound for a template that does not exist or that the
// caller may not see (access::shared_with).
Result<SubmittedAgenda> run_template(ConfigService& config, AgendaAccess& agendas,
                                     const auth::Principal& caller, std::string_view template_id,
                                     const TemplateRunRequest& request,
                                     const std::string& idempotency_key);

}  // namespace pop::service
