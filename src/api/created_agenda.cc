#include "api/created_agenda.h"

#include "http/error_response.h"

namespace pop::api {

http::HttpResponse created_agenda(const service::SubmittedAgenda& submitted) {
  http::HttpResponse response = http::json_response(201, submitted.agenda);
  response.headers.set("Location", "/v1/agendas/" + submitted.agenda["id"].get<std::string>());
  if (submitted.replayed) response.headers.set("Idempotent-Replayed", "true");
  return response;
}

}  // namespace pop::api
