#include "api/token_routes.h"

#include "api/api_error.h"
#include "api/authentication_gate.h"
#include "api/page_request.h"
#include "api/request_body.h"
#include "http/error_response.h"

namespace pop::api {

using http::HttpRequest;
using http::HttpResponse;
using Json = nlohmann::json;

namespace {

constexpr JsonLimits kTokenRequestLimits{
    .max_bytes = 16 * 1024, .max_depth = 8, .max_values = 1000};

HttpResponse create_token(service::TokenService& tokens, service::AuditTrail& audit,
                          const HttpRequest& request) {
  const auth::Principal& caller = caller_of(request);
  auto body = json_body(request, kTokenRequestLimits);
  auto issued = body ? tokens.create(caller, *body) : fail(body.error());
  const std::string target = issued ? issued->document.value("id", "") : "";
  issued = audit.record(caller, "token.create", target, std::move(issued));
  if (!issued) return api_error(issued.error(), request);
  Json shown = issued->document;
  shown["token"] = issued->token;
  HttpResponse response = http::json_response(201, shown);
  response.headers.set("Location", "/v1/tokens/" + target);
  response.headers.set("Cache-Control", "no-store");
  return response;
}

HttpResponse list_tokens(service::TokenService& tokens, const HttpRequest& request) {
  auto page = page_request(request.query);
  auto listed =
      page ? tokens.list(caller_of(request), page->cursor, page->limit) : fail(page.error());
  if (!listed) return api_error(listed.error(), request);
  Json body = {{"items", listed->items}};
  if (listed->next_cursor) body["nextCursor"] = *listed->next_cursor;
  return http::json_response(200, body);
}

Result<store::AuditQuery> audit_query(const HttpRequest& request) {
  store::AuditQuery query;
  for (const auto& [name, value] : request.query.params()) {
    if (name == "actor") {
      query.actor = value;
    } else if (name == "target") {
      query.target = value;
    } else if (name == "order") {
      if (value != "newest" && value != "oldest")
        return fail(ErrorCode::kInvalidArgument, "order must be newest or oldest");
      query.newest_first = value == "newest";
    } else {
      auto paging = read_page_param(name, value, query.cursor, query.limit);
      if (!paging) return fail(paging.error());
      if (!*paging)
        return fail(unknown_query_parameter(name, "actor, target, order, limit, cursor"));
    }
  }
  return query;
}

HttpResponse list_audit(service::AuditTrail& audit, const HttpRequest& request) {
  auto page = audit.list(caller_of(request), audit_query(request));
  if (!page) return api_error(page.error(), request);
  Json items = Json::array();
  for (const auto& record : page->items) items.push_back(service::audit_record_to_json(record));
  Json body = {{"items", items}};
  if (page->more) body["nextCursor"] = page->next_cursor;
  return http::json_response(200, body);
}

}  // namespace

Result<void> add_token_routes(http::Router& router, service::TokenService& tokens,
                              service::AuditTrail& audit) {
  using Add = Result<void>;
  for (Add added :
       {router.add(
            "POST", "/v1/tokens",
            [&tokens, &audit](const HttpRequest& request) {
              return create_token(tokens, audit, request);
            },
            http::BodyLimit{kTokenRequestLimits.max_bytes}),
        router.add("GET", "/v1/tokens",
                   [&tokens](const HttpRequest& request) { return list_tokens(tokens, request); }),
        router.add("GET", "/v1/tokens/{id}",
                   [&tokens](const HttpRequest& request) {
                     auto token = tokens.get(caller_of(request), request.path_param("id"));
                     return token ? http::json_response(200, *token)
                                  : api_error(token.error(), request);
                   }),
        router.add("DELETE", "/v1/tokens/{id}",
                   [&tokens, &audit](const HttpRequest& request) {
                     const auth::Principal& caller = caller_of(request);
                     const std::string id(request.path_param("id"));
                     auto revoked =
                         audit.record(caller, "token.revoke", id, tokens.revoke(caller, id));
                     return revoked ? http::no_content() : api_error(revoked.error(), request);
                   }),
        router.add("GET", "/v1/audit",
                   [&audit](const HttpRequest& request) { return list_audit(audit, request); })}) {
    if (!added) return added;
  }
  return {};
}

}  // namespace pop::api
