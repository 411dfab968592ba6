#include "api/config_routes.h"

#include <charconv>

#include "api/api_error.h"
#include "api/authentication_gate.h"
#include "api/created_agenda.h"
#include "api/page_request.h"
#include "api/request_body.h"
#include "http/error_response.h"
#include "http_client/url.h"
#include "service/agendas/template_run.h"

namespace pop::api {

using http::HttpRequest;
using http::HttpResponse;
using store::DocumentKind;
using Json = nlohmann::json;

namespace {

// A template holds an agenda one level down, and a run body a payload that is bound into
// one: both are held to an agenda's limits. Pools, insights and customers are small
// requests.
constexpr JsonLimits kTemplateLimits{.max_bytes = AgendaLimits{}.max_document_bytes,
                                     .max_depth = AgendaLimits{}.max_depth + 1,
                                     .max_values = AgendaLimits{}.max_values};

struct Collection {
  const char* path;
  DocumentKind kind;
  JsonLimits limits;  // of a POST or PUT body; its bytes are the route's body limit
};

constexpr Collection kCollections[] = {
    {"/v1/pools", DocumentKind::kResourcePool, kSmallRequestLimits},
    {"/v1/insights", DocumentKind::kInsight, kSmallRequestLimits},
    {"/v1/customers", DocumentKind::kCustomer, kSmallRequestLimits},
    {"/v1/templates", DocumentKind::kAgendaTemplate, kTemplateLimits},
};

using http::no_content;

// If-Match: the version to replace, as sent in ETag ("3") or bare (3); "*" or none: any.
Result<std::optional<std::int64_t>> if_match(const HttpRequest& request) {
  auto header = request.header("If-Match");
  if (!header || *header == "*") return std::optional<std::int64_t>();
  std::string_view text = *header;
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
    text = text.substr(1, text.size() - 2);
  std::int64_t version = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (ec != std::errc() || end != text.data() + text.size() || version < 1) {
    return fail(ErrorCode::kInvalidArgument,
                "If-Match must be a version as sent in ETag (\"3\"), not " + std::string(*header));
  }
  return std::optional<std::int64_t>(version);
}

HttpResponse stored(int status, const service::ConfigDocument& document) {
  HttpResponse response = http::json_response(status, document.document);
  std::string etag = std::to_string(document.version);
  etag.insert(etag.begin(), '"');
  etag.push_back('"');
  response.headers.set("ETag", etag);
  return response;
}

std::string location(const std::string& collection, const std::string& id) {
  return collection + "/" + http_client::percent_encode(id);
}

}  // namespace

ConfigRoutes::ConfigRoutes(service::ConfigAccess& access, service::ConfigService& config,
                           service::AgendaAccess& agendas)
    : access_(access), config_(config), agendas_(agendas) {}

Result<void> ConfigRoutes::add_to(http::Router& router) {
  auto& access = access_;
  auto& config = config_;
  auto& agendas = agendas_;
  for (const Collection& collection : kCollections) {
    const std::string path = collection.path;
    const DocumentKind kind = collection.kind;
    const JsonLimits limits = collection.limits;
    for (Result<void> added :
         {router.add(
              "POST", path,
              [&access, kind, path, limits](const HttpRequest& request) {
                auto body = json_body(request, limits);
                auto created =
                    body ? access.create(caller_of(request), kind, *body) : fail(body.error());
                if (!created) return api_error(created.error(), request);
                HttpResponse response = stored(201, *created);
                response.headers.set("Location",
                                     location(path, created->document["id"].get<std::string>()));
                return response;
              },
              http::BodyLimit{limits.max_bytes}),
          router.add("GET", path,
                     [&access, kind](const HttpRequest& request) {
                       auto page = page_request(request.query);
                       auto listed =
                           page ? access.list(caller_of(request), kind, page->cursor, page->limit)
                                : fail(page.error());
                       if (!listed) return api_error(listed.error(), request);
                       Json body = {{"items", listed->items}};
                       if (listed->next_cursor) body["nextCursor"] = *listed->next_cursor;
                       return http::json_response(200, body);
                     }),
          router.add("GET", path + "/{id}",
                     [&access, kind](const HttpRequest& request) {
                       auto document =
                           access.get(caller_of(request), kind, request.path_param("id"));
                       return document ? stored(200, *document)
                                       : api_error(document.error(), request);
                     }),
          router.add(
              "PUT", path + "/{id}",
              [&access, kind, limits](const HttpRequest& request) {
                auto version = if_match(request);
                auto body = version ? json_body(request, limits) : fail(version.error());
                if (!body) return api_error(body.error(), request);
                auto replaced = access.replace(caller_of(request), kind, request.path_param("id"),
                                               *body, *version);
                if (replaced) return stored(200, *replaced);
                // With If-Match, a conflict is exactly a version that moved on.
                Error refused = replaced.error();
                if (refused.code == ErrorCode::kConflict && *version)
                  refused.code = ErrorCode::kPreconditionFailed;
                return api_error(refused, request);
              },
              http::BodyLimit{limits.max_bytes}),
          router.add("DELETE", path + "/{id}", [&access, kind](const HttpRequest& request) {
            auto removed = access.remove(caller_of(request), kind, request.path_param("id"));
            return removed ? no_content() : api_error(removed.error(), request);
          })}) {
      if (!added) return added;
    }
  }
  return router.add(
      "POST", "/v1/templates/{id}/run",
      [&config, &agendas](const HttpRequest& request) {
        auto body = request.body.empty() ? Result<Json>(Json::object())
                                         : json_body(request, kTemplateLimits);
        auto run = body ? service::template_run_request_from_json(*body) : fail(body.error());
        auto submitted =
            run ? service::run_template(config, agendas, caller_of(request),
                                        request.path_param("id"), *run,
                                        std::string(request.header("Idempotency-Key").value_or("")))
                : fail(run.error());
        // The answer is POST /v1/agendas's: the errors are an agenda's, invalid_agenda included.
        return submitted ? created_agenda(*submitted) : api_error(submitted.error(), request);
      },
      http::BodyLimit{kTemplateLimits.max_bytes});
}

}  // namespace pop::api
