#include "service/agendas/template_run.h"

#include "access/access_policy.h"

namespace pop::service {

Result<SubmittedAgenda> run_template(ConfigService& config, AgendaAccess& agendas,
                                     const auth::Principal& caller, std::string_view template_id,
                                     const TemplateRunRequest& request,
                                     const std::string& idempotency_key) {
  if (auto allowed = access::check_run_template(caller); !allowed) return fail(allowed.error());
  auto agenda_template = config.agenda_template(template_id);
  if (!agenda_template) return fail(agenda_template.error());
  // Another customer's template that is not shared is not there, as for every object.
  if (!access::shared_with(caller, agenda_template->customer_id, agenda_template->is_global,
                           agenda_template->allowed_customer_ids))
    return fail(missing_document(store::DocumentKind::kAgendaTemplate, template_id));
  auto agenda = instantiate_template(*agenda_template, request, false, config.agenda_limits());
  if (!agenda) return fail(agenda.error());
  return agendas.submit(caller, std::move(*agenda), idempotency_key);
}

}  // namespace pop::service
