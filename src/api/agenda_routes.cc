#include "api/agenda_routes.h"

#include <charconv>
#include <map>
#include <set>

#include "agenda/agenda_validator.h"
#include "api/api_error.h"
#include "api/authentication_gate.h"
#include "api/created_agenda.h"
#include "api/page_request.h"
#include "api/request_body.h"
#include "api/request_values.h"
#include "http/error_response.h"
#include "model/execution_limits.h"
#include "model/report_token.h"
#include "util/base64url.h"
#include "util/time_format.h"

namespace pop::api {

using http::HttpRequest;
using http::HttpResponse;
using http::Responder;
using Json = nlohmann::json;

namespace {

// A lease's report is a progress document (model/execution_limits.h).
constexpr JsonLimits kReportLimits = kProgressDocumentLimits;
// The bodies each route reads, refused with 413 before they are read when larger.
constexpr http::BodyLimit kAgendaBody{AgendaLimits{}.max_document_bytes};
constexpr http::BodyLimit kReportBody{kReportLimits.max_bytes};
constexpr http::BodyLimit kSmallRequestBody{kSmallRequestLimits.max_bytes};  // a pull, a rerun
constexpr std::size_t kMaxPullAgendas = 100;
constexpr std::size_t kMaxSkippedInsights = 1000;
constexpr double kMaxPullWaitSeconds = 60;

HttpResponse error(const Error& error, const HttpRequest& request) {
  return api_error(error, request);
}

using http::no_content;

Result<std::uint64_t> epoch_param(const HttpRequest& request) {
  const std::string_view text = request.path_param("epoch");
  std::uint64_t epoch = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), epoch);
  if (ec != std::errc() || end != text.data() + text.size() || epoch == 0)
    return fail(ErrorCode::kInvalidArgument,
                "lease epoch must be a positive integer, not \"" + std::string(text) + "\"");
  return epoch;
}

struct PullRequest {
  std::string puller_id;
  std::size_t max = 1;
  std::chrono::milliseconds wait{20000};
  std::optional<Resources> available;      // what the puller has free, when it counts resources
  std::set<std::string> skip_insight_ids;  // at their execution limit on the puller's platform
};

Result<std::set<std::string>> skip_insight_ids(const Json& value) {
  if (!value.is_array())
    return fail(ErrorCode::kInvalidArgument, "skipInsightIds must be an array of strings");
  if (value.size() > kMaxSkippedInsights)
    return fail(ErrorCode::kInvalidArgument, "skipInsightIds may name at most " +
                                                 std::to_string(kMaxSkippedInsights) + " insights");
  std::set<std::string> ids;
  for (const auto& id : value) {
    if (!id.is_string())
      return fail(ErrorCode::kInvalidArgument, "skipInsightIds must be an array of strings");
    ids.insert(id.get<std::string>());
  }
  return ids;
}

Result<PullRequest> pull_request(const HttpRequest& request) {
  auto body = json_body(request, kSmallRequestLimits);
  if (!body) return fail(body.error());
  if (!body->is_object())
    return fail(ErrorCode::kInvalidArgument, "request body must be a JSON object");
  PullRequest pull;
  auto puller = body->find("pullerId");
  if (puller == body->end() || !puller->is_string() || puller->get<std::string>().empty())
    return fail(ErrorCode::kInvalidArgument, "pullerId must be a non-empty string");
  pull.puller_id = puller->get<std::string>();
  if (auto max = body->find("max"); max != body->end()) {
    if (!max->is_number_integer() || max->get<long long>() < 1 ||
        max->get<long long>() > static_cast<long long>(kMaxPullAgendas))
      return fail(ErrorCode::kInvalidArgument, "max must be an integer from 1 to 100");
    pull.max = max->get<std::size_t>();
  }
  if (auto resources = body->find("resources"); resources != body->end()) {
    auto available = resources_from_json(*resources, "resources");
    if (!available) return fail(available.error());
    pull.available = std::move(*available);
  }
  if (auto skip = body->find("skipInsightIds"); skip != body->end()) {
    auto ids = skip_insight_ids(*skip);
    if (!ids) return fail(ids.error());
    pull.skip_insight_ids = std::move(*ids);
  }
  if (auto wait = body->find("waitSeconds"); wait != body->end()) {
    if (!wait->is_number() || wait->get<double>() < 0 || wait->get<double>() > kMaxPullWaitSeconds)
      return fail(ErrorCode::kInvalidArgument, "waitSeconds must be a number from 0 to 60");
    pull.wait = std::chrono::milliseconds(static_cast<long long>(wait->get<double>() * 1000));
  }
  return pull;
}

// GET /v1/agendas: ?linkId=&state=WAITING|EXECUTING|COMPLETE&customer=&limit=1..1000&cursor=
Result<store::AgendaQuery> agenda_query(const HttpRequest& request) {
  store::AgendaQuery query;
  for (const auto& [name, value] : request.query.params()) {
    if (name == "linkId") {
      query.link_id = value;
    } else if (name == "customer") {
      query.customer_id = value;
    } else if (name == "state") {
      auto state = parse_processing_state(value);
      if (!state)
        return fail(ErrorCode::kInvalidArgument,
                    "state must be WAITING, EXECUTING or COMPLETE, not \"" + value + "\"");
      query.processing_state = *state;
    } else {
      auto paging = read_page_param(name, value, query.cursor, query.limit);
      if (!paging) return fail(paging.error());
      if (!*paging)
        return fail(unknown_query_parameter(name, "linkId, state, customer, limit, cursor"));
    }
  }
  return query;
}

// Each lease carries its key, which its puller presents on every report and mints report
// tokens with (see report_token.h); the pool's execution limits go with every answer, so a
// puller learns of a changed one.
Json pull_answer(const std::vector<service::LeasedAgenda>& leased,
                 const std::map<std::string, std::size_t>& execution_limits) {
  Json agendas = Json::array();
  for (const auto& agenda : leased) {
    Json item = {{"agenda", agenda.agenda},
                 {"progress", agenda.progress},
                 {"epoch", agenda.epoch},
                 {"leaseExpiresAt", format_time(agenda.lease_expires_at)},
                 {"reportKey", base64url_encode(agenda.lease_key)}};
    if (!agenda.kubernetes_namespace.empty())
      item["kubernetesNamespace"] = agenda.kubernetes_namespace;
    agendas.push_back(std::move(item));
  }
  return {{"agendas", agendas}, {"executionLimits", execution_limits}};
}

// What a lease's holder reports with: AgendaAccess::report (progress) or ::complete.
using LeaseReport = Result<void> (service::AgendaAccess::*)(const auth::Principal&,
                                                            std::string_view, std::uint64_t,
                                                            std::string_view, const Json&);

// PUT .../leases/{epoch}/progress and POST .../leases/{epoch}/complete: the epoch, the
// lease's key and a progress document, handed to `report`.
http::SyncHandler lease_report_route(service::AgendaAccess& service, LeaseReport report) {
  return [&service, report](const HttpRequest& request) {
    auto epoch = epoch_param(request);
    auto key = epoch ? lease_key(request) : fail(epoch.error());
    auto body = key ? json_body(request, kReportLimits) : fail(key.error());
    if (!body) return error(body.error(), request);
    auto reported =
        (service.*report)(caller_of(request), request.path_param("id"), *epoch, *key, *body);
    return reported ? no_content() : error(reported.error(), request);
  };
}

// One pull while it waits (a LongPolls::Poll's callbacks): what it asks for and how it is
// answered.
class PendingPull {
 public:
  PendingPull(service::AgendaAccess& service, const HttpRequest& request, std::string pool,
              PullRequest pull, Responder responder)
      : service_(service),
        request_(without_body(request)),
        pool_(std::move(pool)),
        pull_(std::move(pull)),
        responder_(std::move(responder)) {}

  const PullRequest& pull() const { return pull_; }

  // True when it answered: with agendas, with an error, or not at all because the client
  // left (nothing is leased to a client that is gone).
  bool attempt() {
    if (responder_.cancel_reason() == http::CancelReason::kClientGone) return true;
    auto leased = service_.pull(caller_of(request_), pool_, pull_.puller_id, pull_.max,
                                pull_.available, pull_.skip_insight_ids);
    if (leased && leased->empty()) return false;
    // Agendas leased to a client that left just now are reclaimed when their lease expires.
    answer(leased);
    return true;
  }

  void answer_empty() { answer(std::vector<service::LeasedAgenda>()); }

 private:
  // What an answer needs of the request: the caller and what error answers name. A waiting
  // poll does not keep the body.
  static HttpRequest without_body(const HttpRequest& request) {
    HttpRequest kept;
    kept.method = request.method;
    kept.path = request.path;
    kept.correlation_id = request.correlation_id;
    kept.principal = request.principal;
    return kept;
  }

  void answer(const Result<std::vector<service::LeasedAgenda>>& leased) {
    auto limits =
        leased ? service_.execution_limits(caller_of(request_), pool_) : fail(leased.error());
    responder_.send(limits ? http::json_response(200, pull_answer(*leased, *limits))
                           : error(limits.error(), request_));
  }

  service::AgendaAccess& service_;
  const HttpRequest request_;
  const std::string pool_;
  const PullRequest pull_;
  Responder responder_;
};

// POST /v1/pools/{pool}/pull: one attempt on the handler thread, then, with nothing to hand
// out, the poll waits in `long_polls` and the thread returns.
http::Handler pull_route(service::AgendaAccess& service, std::shared_ptr<LongPolls> long_polls) {
  return [&service, long_polls](HttpRequest request, Responder responder) {
    const std::string pool(request.path_param("pool"));
    auto allowed = service.check_pull(caller_of(request), pool);
    auto pull = allowed ? pull_request(request) : fail(allowed.error());
    if (!pull) {
      responder.send(error(pull.error(), request));
      return;
    }
    // Redirected rather than forwarded: a forwarded long poll would hold a connection here
    // for its whole wait, and the puller then pulls from the owner directly.
    if (auto owner = service.pull_elsewhere(pool)) {
      http::HttpResponse moved = http::error_response(
          307, http::kMovedCode,
          "the queues of resource pool \"" + pool + "\" are kept by the replica at " + *owner, {},
          request.correlation_id);
      moved.headers.set("Location", *owner + request.target);
      responder.send(std::move(moved));
      return;
    }
    const auto deadline = long_polls->clock().steady_now() + pull->wait;
    auto pending =
        std::make_shared<PendingPull>(service, request, pool, std::move(*pull), responder);
    const std::uint64_t id = long_polls->start(
        {pool, caller_of(request).name, pending->pull().skip_insight_ids, deadline,
         [pending] { return pending->attempt(); }, [pending] { pending->answer_empty(); }});
    if (id == 0) return;  // answered already
    // A departing client is forgotten; a stopping server answers at once.
    std::weak_ptr<LongPolls> polls = long_polls;
    responder.on_cancel([polls, id](http::CancelReason reason) {
      if (auto alive = polls.lock())
        alive->cancel(id, reason == http::CancelReason::kServerStopping);
    });
  };
}

}  // namespace

AgendaRoutes::AgendaRoutes(service::AgendaAccess& service, std::shared_ptr<LongPolls> long_polls)
    : service_(service), long_polls_(std::move(long_polls)) {}

Result<void> AgendaRoutes::add_to(http::Router& router) {
  auto& service = service_;
  auto long_polls = long_polls_;
  using Add = Result<void>;
  for (Add added :
       {router.add(
            "GET", "/healthz",
            [](const HttpRequest&) {
              return http::json_response(200, {{"status", "ok"}});
            },
            http::Access::kOpen),
        router.add(
            "POST", "/v1/agendas",
            [&service](const HttpRequest& request) {
              auto submitted =
                  service.submit_text(caller_of(request), request.body,
                                      std::string(request.header("Idempotency-Key").value_or("")));
              return submitted ? created_agenda(*submitted) : error(submitted.error(), request);
            },
            kAgendaBody),
        router.add("GET", "/v1/agendas",
                   [&service](const HttpRequest& request) {
                     auto query = agenda_query(request);
                     auto page =
                         query ? service.list(caller_of(request), *query) : fail(query.error());
                     return page ? http::json_response(200, *page) : error(page.error(), request);
                   }),
        router.add("DELETE", "/v1/agendas/{id}",
                   [&service](const HttpRequest& request) {
                     auto removed = service.remove(caller_of(request), request.path_param("id"));
                     return removed ? no_content() : error(removed.error(), request);
                   }),
        router.add(
            "POST", "/v1/agendas/{id}/rerun",
            [&service](const HttpRequest& request) {
              // An empty body is POP's default, resetAll.
              auto body = request.body.empty() ? Result<Json>(Json::object())
                                               : json_body(request, kSmallRequestLimits);
              auto rerun = body ? service::rerun_request_from_json(*body) : fail(body.error());
              auto progress =
                  rerun ? service.rerun(caller_of(request), request.path_param("id"), *rerun)
                        : fail(rerun.error());
              return progress ? http::json_response(200, *progress)
                              : error(progress.error(), request);
            },
            kSmallRequestBody),
        router.add("GET", "/v1/agendas/{id}",
                   [&service](const HttpRequest& request) {
                     auto agenda = service.agenda(caller_of(request), request.path_param("id"));
                     return agenda ? http::json_response(200, *agenda)
                                   : error(agenda.error(), request);
                   }),
        router.add("GET", "/v1/agendas/{id}/progress",
                   [&service](const HttpRequest& request) {
                     auto progress = service.progress(caller_of(request), request.path_param("id"));
                     return progress ? http::json_response(200, *progress)
                                     : error(progress.error(), request);
                   }),
        router.add("GET", "/v1/agendas/{id}/explain",
                   [&service](const HttpRequest& request) {
                     auto explained = service.explain(caller_of(request), request.path_param("id"));
                     return explained ? http::json_response(200, *explained)
                                      : error(explained.error(), request);
                   }),
        router.add("POST", "/v1/agendas/{id}/cancel",
                   [&service](const HttpRequest& request) {
                     auto cancelled = service.cancel(caller_of(request), request.path_param("id"));
                     return cancelled ? http::json_response(200, *cancelled)
                                      : error(cancelled.error(), request);
                   }),
        router.add("PUT", "/v1/agendas/{id}/leases/{epoch}/progress",
                   lease_report_route(service, &service::AgendaAccess::report), kReportBody),
        router.add("POST", "/v1/agendas/{id}/leases/{epoch}/complete",
                   lease_report_route(service, &service::AgendaAccess::complete), kReportBody),
        router.add_async("POST", "/v1/pools/{pool}/pull", pull_route(service, long_polls),
                         kSmallRequestBody)}) {
    if (!added) return added;
  }
  return {};
}

}  // namespace pop::api
