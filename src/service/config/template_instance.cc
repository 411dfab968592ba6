#include "service/config/template_instance.h"

#include "agenda/agenda_validator.h"
#include "agenda/template_binding.h"

namespace pop::service {

Result<TemplateRunRequest> template_run_request_from_json(const Json& body) {
  if (!body.is_object())
    return fail(ErrorCode::kInvalidArgument, "request body must be a JSON object");
  TemplateRunRequest request;
  for (const auto& [key, value] : body.items()) {
    if (key == "payload") {
      request.payload = value;
    } else if (key == "params") {
      if (!value.is_null() && !value.is_object())
        return fail(ErrorCode::kInvalidArgument, "params must be an object");
      if (value.is_object()) request.params = value;
    } else if (key == "linkId") {
      if (!value.is_null() && !value.is_string())
        return fail(ErrorCode::kInvalidArgument, "linkId must be a string");
      if (value.is_string()) request.link_id = value.get<std::string>();
    } else {
      return fail(ErrorCode::kInvalidArgument,
                  "unknown field \"" + key + "\" (expected payload, params, linkId)");
    }
  }
  return request;
}

Result<Json> instantiate_template(const AgendaTemplate& agenda_template,
                                  const TemplateRunRequest& request, bool trial,
                                  const AgendaLimits& limits) {
  TemplateValues values;
  values.payload = &request.payload;
  values.static_parameters = &agenda_template.static_parameters;
  values.lenient_payload = trial;
  values.limit = {limits.max_document_bytes, limits.max_values};
  // The caller sent a payload, or static parameters, not this agenda: say whose it is.
  const auto whose = [&](Error error) {
    if (error.code == ErrorCode::kTooLarge)
      error.message.insert(0, "agenda template \"" + agenda_template.id + "\", its agenda bound: ");
    return fail(std::move(error));
  };
  auto agenda = bind_template(agenda_template.agenda, values);
  if (!agenda) return whose(std::move(agenda.error()));
  Json& params = (*agenda)["params"];
  if (params.is_null()) params = Json::object();
  if (!params.is_object())
    return fail(ErrorCode::kInvalidAgenda, "agenda, field params: must be an object");
  for (const Json* layer : {&agenda_template.params, &request.params}) {
    for (const auto& [key, value] : layer->items()) params[key] = value;
  }
  if (!request.link_id.empty()) (*agenda)["linkId"] = request.link_id;
  // Binding bounds bytes and values as it goes; depth, and the params laid over, only the
  // whole document shows.
  if (auto within = check_agenda_document(*agenda, limits); !within)
    return whose(std::move(within.error()));
  return agenda;
}

}  // namespace pop::service
