// End to end: the access matrix of the server. Every endpoint is called by every
// kind of caller — eight kinds of bad credential and six real principals — and each answer's
// status is compared with kMatrix, which follows the rules of service/agendas/agenda_access.h,
// service/config/config_access.h, service/tokens/token_service.h and api/token_routes.h. The matrix
// is printed. Besides the statuses, no answer may carry the data of a customer the caller does not
// act for: each customer's objects carry a mark ("SECRET-A") and their ids are kept.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "http_client/client.h"
#include "model/report_token.h"
#include "server/server_fixture.h"
#include "testing/jwt_minter.h"
#include "util/base64url.h"

namespace pop::api {
using Json = nlohmann::json;

namespace {

// The callers, in the matrix's column order.
enum Caller : int {
  kAnonymous,         // no Authorization header
  kMalformedHeader,   // "Token <the admin token>": not the Bearer scheme
  kUnknownToken,      // the id of a live API token with another secret
  kRevokedToken,      // an API token of customer A's member, revoked
  kExpiredJwt,        // RS256, well signed, expired an hour ago
  kBadSignatureJwt,   // RS256 with one bit of the signature flipped
  kAlgNoneJwt,        // "alg": "none", no signature
  kHsRsConfusionJwt,  // HS256 whose HMAC key is the server's RSA public key (PEM)
  kMemberA,           // API token of a member of customer A
  kMemberB,           // ... of customer B
  kMemberAB,          // ... of both
  kPullerX,           // API token of a puller of pool X (customer A's pool)
  kPullerY,           // ... of pool Y (customer B's pool)
  kAdmin,             // the bootstrap admin token
  kCallerCount
};

constexpr std::array<const char*, kCallerCount> kCallerNames = {
    "anon",  "badhdr", "unknown", "revoked", "expired", "badsig", "none",
    "hs/rs", "A",      "B",       "A+B",     "pullX",   "pullY",  "admin"};

constexpr int kBadCredentials = kMemberA;  // the callers before it are all refused

struct Expected {
  const char* endpoint;
  std::array<int, kCallerCount> status;
};

// {a} and {b}: held (doNotRun) agendas of customers A and B; in the lease rows, {a} is an
// agenda of A's leased by the admin's pull of pool X, and {e} the lease's epoch. {a'}, {p'}
// and {A's'}: a fresh object made for each cell, so that no cell depends on another. The
// statuses: 401 for every bad credential; 404 for an object the caller may not see (as if
// missing); 403 for a verb the caller's role may not use on what it sees. The columns are
// kCallerNames, shortened.
// clang-format off
constexpr Expected kMatrix[] = {
  //                                         anon badh unkn revk expd bsig none hsrs  A    B    A+B  pulX pulY admn
  {"GET /healthz",                          {200, 200, 200, 200, 200, 200, 200, 200,  200, 200, 200, 200, 200, 200}},
  {"GET /readyz",                           {200, 200, 200, 200, 200, 200, 200, 200,  200, 200, 200, 200, 200, 200}},
  {"HEAD /readyz",                          {200, 200, 200, 200, 200, 200, 200, 200,  200, 200, 200, 200, 200, 200}},
  {"POST /v1/agendas (for A)",              {401, 401, 401, 401, 401, 401, 401, 401,  201, 403, 201, 403, 403, 201}},
  {"POST /v1/agendas (A's Idempotency-Key)",
                                            {401, 401, 401, 401, 401, 401, 401, 401,  201, 201, 400, 403, 403, 201}},
  {"GET /v1/agendas",                       {401, 401, 401, 401, 401, 401, 401, 401,  200, 200, 200, 403, 403, 200}},
  {"GET /v1/agendas?customer=A",            {401, 401, 401, 401, 401, 401, 401, 401,  200, 200, 200, 403, 403, 200}},
  {"GET /v1/agendas/{a}",                   {401, 401, 401, 401, 401, 401, 401, 401,  200, 404, 200, 200, 404, 200}},
  {"GET /v1/agendas/{b}",                   {401, 401, 401, 401, 401, 401, 401, 401,  404, 200, 200, 404, 200, 200}},
  {"GET /v1/agendas/{a}/progress",          {401, 401, 401, 401, 401, 401, 401, 401,  200, 404, 200, 200, 404, 200}},
  {"GET /v1/agendas/{a}/explain",           {401, 401, 401, 401, 401, 401, 401, 401,  200, 404, 200, 200, 404, 200}},
  {"POST /v1/agendas/{a'}/cancel",          {401, 401, 401, 401, 401, 401, 401, 401,  200, 404, 200, 403, 404, 200}},
  {"POST /v1/agendas/{a'}/rerun",           {401, 401, 401, 401, 401, 401, 401, 401,  200, 404, 200, 403, 404, 200}},
  {"DELETE /v1/agendas/{a'}",               {401, 401, 401, 401, 401, 401, 401, 401,  204, 404, 204, 403, 404, 204}},
  {"PUT /v1/agendas/{a}/leases/{e}/progress",
                                            {401, 401, 401, 401, 401, 401, 401, 401,  403, 404, 403, 204, 404, 204}},
  {"POST /v1/agendas/{a'}/leases/{e}/complete",
                                            {401, 401, 401, 401, 401, 401, 401, 401,  403, 404, 403, 204, 404, 204}},
  {"GET /v1/agendas/{a}/leases/{e}/reports",
                                            {401, 401, 401, 401, 401, 401, 401, 401,  200, 404, 200, 200, 404, 200}},
  {"GET /v1/agendas/{a}/leases/{e}/reports/{op}/{n}",
                                            {401, 401, 401, 401, 401, 401, 401, 401,  200, 404, 200, 200, 404, 200}},
  {"POST /v1/pools/X/pull",                 {401, 401, 401, 401, 401, 401, 401, 401,  403, 403, 403, 200, 403, 200}},
  {"POST /v1/pools/Y/pull",                 {401, 401, 401, 401, 401, 401, 401, 401,  403, 403, 403, 403, 200, 200}},
  {"GET /v1/pools",                         {401, 401, 401, 401, 401, 401, 401, 401,  200, 200, 200, 200, 200, 200}},
  {"POST /v1/pools",                        {401, 401, 401, 401, 401, 401, 401, 401,  403, 403, 403, 403, 403, 201}},
  {"GET /v1/pools/X",                       {401, 401, 401, 401, 401, 401, 401, 401,  200, 200, 200, 200, 404, 200}},
  {"PUT /v1/pools/X",                       {401, 401, 401, 401, 401, 401, 401, 401,  403, 403, 403, 403, 404, 200}},
  {"DELETE /v1/pools/{p'}",                 {401, 401, 401, 401, 401, 401, 401, 401,  403, 403, 403, 404, 404, 204}},
  {"GET /v1/insights",                      {401, 401, 401, 401, 401, 401, 401, 401,  200, 200, 200, 403, 403, 200}},
  {"POST /v1/insights",                     {401, 401, 401, 401, 401, 401, 401, 401,  403, 403, 403, 403, 403, 201}},
  {"GET /v1/insights/{A's}",                {401, 401, 401, 401, 401, 401, 401, 401,  200, 404, 200, 403, 403, 200}},
  {"PUT /v1/insights/{A's}",                {401, 401, 401, 401, 401, 401, 401, 401,  403, 404, 403, 403, 403, 200}},
  {"DELETE /v1/insights/{A's'}",            {401, 401, 401, 401, 401, 401, 401, 401,  403, 404, 403, 403, 403, 204}},
  {"GET /v1/customers",                     {401, 401, 401, 401, 401, 401, 401, 401,  200, 200, 200, 403, 403, 200}},
  {"POST /v1/customers",                    {401, 401, 401, 401, 401, 401, 401, 401,  403, 403, 403, 403, 403, 201}},
  {"GET /v1/customers/A",                   {401, 401, 401, 401, 401, 401, 401, 401,  200, 404, 200, 403, 403, 200}},
  {"PUT /v1/customers/A",                   {401, 401, 401, 401, 401, 401, 401, 401,  403, 404, 403, 403, 403, 200}},
  {"DELETE /v1/customers/A",                {401, 401, 401, 401, 401, 401, 401, 401,  403, 404, 403, 403, 403, 204}},
  {"GET /v1/templates",                     {401, 401, 401, 401, 401, 401, 401, 401,  200, 200, 200, 403, 403, 200}},
  {"POST /v1/templates (for A)",            {401, 401, 401, 401, 401, 401, 401, 401,  201, 403, 201, 403, 403, 201}},
  {"GET /v1/templates/{A's}",               {401, 401, 401, 401, 401, 401, 401, 401,  200, 404, 200, 403, 403, 200}},
  {"GET /v1/templates/{B's}",               {401, 401, 401, 401, 401, 401, 401, 401,  404, 200, 200, 403, 403, 200}},
  {"PUT /v1/templates/{A's}",               {401, 401, 401, 401, 401, 401, 401, 401,  200, 404, 200, 403, 403, 200}},
  {"DELETE /v1/templates/{A's'}",           {401, 401, 401, 401, 401, 401, 401, 401,  204, 404, 204, 403, 403, 204}},
  {"POST /v1/templates/{A's}/run",          {401, 401, 401, 401, 401, 401, 401, 401,  201, 404, 201, 403, 403, 201}},
  {"POST /v1/tokens (member of A)",         {401, 401, 401, 401, 401, 401, 401, 401,  201, 403, 201, 403, 403, 201}},
  {"GET /v1/tokens",                        {401, 401, 401, 401, 401, 401, 401, 401,  200, 200, 200, 403, 403, 200}},
  {"GET /v1/tokens/{A's}",                  {401, 401, 401, 401, 401, 401, 401, 401,  200, 404, 200, 403, 403, 200}},
  {"DELETE /v1/tokens/{A's'}",              {401, 401, 401, 401, 401, 401, 401, 401,  204, 404, 204, 403, 403, 204}},
  {"GET /v1/audit",                         {401, 401, 401, 401, 401, 401, 401, 401,  403, 403, 403, 403, 403, 200}},
  {"POST /v1/reports",                      {401, 401, 401, 401, 401, 401, 401, 401,  403, 403, 403, 403, 403, 403}},
};
// clang-format on

constexpr const char* kIssuer = "https://idp.matrix.test";
constexpr const char* kAudience = "pop-matrix";
// The key A submits its agenda {a} with: idempotency is per customer, so it is B's too.
constexpr const char* kIdempotencyKey = "matrix-key";
// Every operation of the test's agendas; held agendas wait for a rerun, not for a puller.
constexpr const char* kOperations = R"([{"name": "s", "type": "sample"}])";

// The JSON object of a body; an empty one for anything else, so that a wrong answer fails
// an expectation instead of throwing.
Json object_of(const std::string& body) {
  Json json = Json::parse(body, nullptr, false);
  return json.is_object() ? json : Json::object();
}

struct Request {
  std::string method;
  std::string target;
  std::string body;
  http_client::Headers headers = {};
};

// How one row's cells are made: `request` may first create the object the cell acts on;
// `after_each` repairs what an allowed cell destroyed that later rows need.
struct Endpoint {
  std::function<Request(Caller)> request;
  std::function<void()> after_each;
};

class AccessMatrixTest : public pop::server::ServerFixture {
 protected:
  void configure(server::ServerConfig& config) override {
    config.embedded_puller.reset();
    // Leases outlast the test: a reclaimed lease would move the epochs the cells name.
    config.lease_duration = std::chrono::minutes(10);
    // Both kinds of key, so the HS/RS confusion meets a live HS256 check.
    auth::JwtOptions jwt;
    jwt.hs256_secret = hs256_secret_;
    jwt.public_key_files = {public_key_file_};
    jwt.issuer = kIssuer;
    jwt.audience = kAudience;
    config.jwt = std::move(jwt);
  }

  void before_start() override {
    rsa_ = pop::testing::generate_rsa_key_pair();
    public_key_file_ = pop::testing::write_key_file(dir_->path(), "jwt.pub.pem", rsa_.public_pem);
  }

  void SetUp() override {
    ServerFixture::SetUp();
    if (HasFatalFailure()) return;
    http_client::ClientOptions options;
    options.base_url = base_url_;  // no bearer token: each request names its own
    auto client = http_client::Client::create(options);
    ASSERT_TRUE(client.has_value()) << client.error().message;
    caller_client_.emplace(std::move(*client));
  }

  // An admin call expected to answer `status`; its body's JSON object.
  Json admin(int status, const std::string& method, const std::string& target,
             const std::string& body = "") {
    auto response = call(method, target, body);
    EXPECT_EQ(response.status, status) << method << " " << target << ": " << response.body;
    return object_of(response.body);
  }

  http_client::Response send(Caller caller, const Request& request) {
    http_client::Headers headers = request.headers;
    if (authorization_[caller]) headers["Authorization"] = *authorization_[caller];
    auto response = caller_client_->request(request.method, request.target, request.body, headers);
    EXPECT_TRUE(response.has_value()) << (response ? "" : response.error().message);
    return response ? *response : http_client::Response{};
  }

  std::string bearer(const std::string& token) { return "Bearer " + token; }

  // A token issued by the admin: its public view with "token", the secret text.
  Json issue_token(const Json& body) { return admin(201, "POST", "/v1/tokens", body.dump()); }

  Json jwt_claims(std::chrono::seconds expires_in) const {
    const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    // The admin role: a token that slipped through would be answered as generously as can be.
    return {{"iss", kIssuer},
            {"aud", kAudience},
            {"sub", "matrix-tester"},
            {"iat", now + std::min<long long>(0, expires_in.count()) - 60},
            {"exp", now + expires_in.count()},
            {"roles", {"pop-admin"}}};
  }

  // Fills authorization_ for the bad credentials. `live_token` is a working API token whose
  // id the unknown token borrows, so that only its secret is wrong.
  void make_bad_credentials(const Json& live_token) {
    authorization_[kAnonymous] = std::nullopt;
    authorization_[kMalformedHeader] = "Token " + admin_token();
    authorization_[kUnknownToken] = bearer("pop_" + live_token["id"].get<std::string>() + "_" +
                                           base64url_encode(std::string(32, 'x')));

    const Json revoked =
        issue_token({{"role", "member"}, {"customerIds", {"cust-a"}}, {"description", "revoked"}});
    authorization_[kRevokedToken] = bearer(revoked.value("token", ""));
    // It worked before it was revoked.
    EXPECT_EQ(send(kRevokedToken, {"GET", "/v1/agendas", ""}).status, 200);
    admin(204, "DELETE", "/v1/tokens/" + revoked.value("id", ""));

    using namespace std::chrono_literals;
    authorization_[kExpiredJwt] =
        bearer(pop::testing::mint_rs256(rsa_.private_pem, jwt_claims(-3600s)));
    std::string good = pop::testing::mint_rs256(rsa_.private_pem, jwt_claims(3600s));
    const std::size_t dot = good.rfind('.');
    std::string signature = base64url_decode(good.substr(dot + 1)).value_or("");
    EXPECT_FALSE(signature.empty());
    if (!signature.empty()) signature[signature.size() / 2] ^= 0x01;
    authorization_[kBadSignatureJwt] =
        bearer(good.substr(0, dot + 1) + base64url_encode(signature));
    authorization_[kAlgNoneJwt] = bearer(pop::testing::mint_unsigned(jwt_claims(3600s)));
    authorization_[kHsRsConfusionJwt] =
        bearer(pop::testing::mint_hs256(rsa_.public_pem, jwt_claims(3600s)));

    // The same claims, properly signed, are accepted: the refusals are the flaws' doing.
    for (const std::string& token :
         {good, pop::testing::mint_hs256(hs256_secret_, jwt_claims(3600s))}) {
      auto response = caller_client_->request("GET", "/v1/audit?limit=1", "",
                                              {{"Authorization", bearer(token)}});
      ASSERT_TRUE(response.has_value());
      EXPECT_EQ(response->status, 200) << response->body;
    }
  }

  pop::testing::PemKeyPair rsa_;
  const std::string hs256_secret_ = "matrix-hs256-secret-of-forty-bytes-long!";
  std::string public_key_file_;
  std::optional<http_client::Client> caller_client_;
  std::array<std::optional<std::string>, kCallerCount> authorization_;
};

class AccessMatrixE2eTest : public AccessMatrixTest {
 protected:
  // Pools X and Y; customers A (in X) and B (in Y), each with a private insight in its pool,
  // a private template and a held agenda; a token for each principal of the matrix; and a
  // lease of one of A's agendas.
  void set_up_tenants() {
    admin(201, "POST", "/v1/pools", R"({"id": "pool-x", "title": "Pool X"})");
    admin(201, "POST", "/v1/pools", R"({"id": "pool-y", "title": "Pool Y"})");
    for (const auto& [customer, pool, mark] :
         {std::tuple{"cust-a", "pool-x", "SECRET-A"}, std::tuple{"cust-b", "pool-y", "SECRET-B"}}) {
      admin(201, "POST", "/v1/customers", customer_document(customer, pool, mark).dump());
      // Its id carries the mark too: an insight is the customer's, seen by no one else.
      admin(201, "POST", "/v1/insights",
            Json{{"id", std::string("ins-") + mark},
                 {"resourcePoolId", pool},
                 {"customerId", customer},
                 {"title", std::string(mark) + " insight"},
                 {"schedulingAlgorithm", "fifo"}}
                .dump());
      admin(201, "POST", "/v1/templates", template_document(customer, mark).dump());
    }

    const Json member_a = issue_token(
        {{"role", "member"}, {"customerIds", {"cust-a"}}, {"description", "SECRET-A token"}});
    const Json member_b = issue_token(
        {{"role", "member"}, {"customerIds", {"cust-b"}}, {"description", "SECRET-B token"}});
    // A token of both accounts is data of both: neither customer's members alone may see it.
    // (Token ids are public, named in the createdBy of the tokens a token makes: no mark.)
    const Json member_ab = issue_token({{"role", "member"},
                                        {"customerIds", {"cust-a", "cust-b"}},
                                        {"description", "SECRET-A SECRET-B token"}});
    a_token_id_ = member_a.value("id", "");
    authorization_[kMemberA] = bearer(member_a.value("token", ""));
    authorization_[kMemberB] = bearer(member_b.value("token", ""));
    authorization_[kMemberAB] = bearer(member_ab.value("token", ""));
    authorization_[kPullerX] =
        bearer(issue_token({{"role", "puller"}, {"resourcePoolId", "pool-x"}}).value("token", ""));
    authorization_[kPullerY] =
        bearer(issue_token({{"role", "puller"}, {"resourcePoolId", "pool-y"}}).value("token", ""));
    authorization_[kAdmin] = bearer(admin_token());
    make_bad_credentials(member_a);

    // Each member submits its own agenda.
    agenda_a_ = submitted_by(kMemberA, agenda_body("SECRET-A", true), kIdempotencyKey);
    agenda_b_ = submitted_by(kMemberB, agenda_body("SECRET-B", true), "");
    marks_a_.push_back(agenda_a_);
    marks_b_.push_back(agenda_b_);
    EXPECT_EQ(admin(200, "GET", "/v1/agendas/" + agenda_a_)["agendaInsight"]["resourcePoolId"],
              "pool-x");
    EXPECT_EQ(admin(200, "GET", "/v1/agendas/" + agenda_b_)["agendaInsight"]["resourcePoolId"],
              "pool-y");
    lease_ = leased_agenda_of_a();
  }

  static Json customer_document(const std::string& id, const std::string& pool,
                                const std::string& mark) {
    return {{"id", id}, {"title", mark + " customer"}, {"resourcePoolId", pool}};
  }

  static Json template_document(const std::string& customer, const std::string& mark) {
    return {{"id", "tpl-" + customer},
            {"title", mark + " template"},
            {"customerId", customer},
            {"agenda",
             {{"customerId", customer},
              {"title", mark + " from a template"},
              {"operations", Json::parse(kOperations)},
              {"params", {{"doNotRun", true}}}}}};
  }

  static std::string agenda_body(const std::string& mark, bool hold) {
    Json agenda = {{"title", mark + " agenda"}, {"operations", Json::parse(kOperations)}};
    if (hold) agenda["params"] = {{"doNotRun", true}};
    return agenda.dump();
  }

  std::string submitted_by(Caller caller, const std::string& body,
                           const std::string& idempotency_key) {
    http_client::Headers headers;
    if (!idempotency_key.empty()) headers["Idempotency-Key"] = idempotency_key;
    auto response = send(caller, {"POST", "/v1/agendas", body, headers});
    EXPECT_EQ(response.status, 201) << response.body;
    return object_of(response.body).value("id", "");
  }

  // A new agenda of customer A, submitted by the admin.
  std::string agenda_of_a(bool hold) {
    Json body = Json::parse(agenda_body("SECRET-A", hold));
    body["customerId"] = "cust-a";
    const std::string id = admin(201, "POST", "/v1/agendas", body.dump()).value("id", "");
    marks_a_.push_back(id);
    return id;
  }

  struct Lease {
    std::string agenda_id;
    std::uint64_t epoch = 0;
    std::string key;  // the pull answer's reportKey, which every report presents
    Json progress;
  };

  // A new agenda of A's, leased to the admin. Nothing else waits in pool X: every other
  // agenda of the test is held.
  Lease leased_agenda_of_a() {
    Lease lease;
    lease.agenda_id = agenda_of_a(false);
    const Json pulled = admin(200, "POST", "/v1/pools/pool-x/pull",
                              R"({"pullerId": "matrix-setup", "max": 1, "waitSeconds": 5})");
    Json agendas = pulled.value("agendas", Json::array());
    if (agendas.size() != 1 || agendas[0]["agenda"]["id"] != lease.agenda_id) {
      ADD_FAILURE() << "the pull of pool X handed out " << pulled.dump();
      return lease;
    }
    lease.epoch = agendas[0].value("epoch", std::uint64_t{0});
    lease.key = agendas[0].value("reportKey", "");
    lease.progress = agendas[0]["progress"];
    return lease;
  }

  std::string lease_path(const Lease& lease) const {
    return "/v1/agendas/" + lease.agenda_id + "/leases/" + std::to_string(lease.epoch);
  }

  std::string fresh(const std::string& prefix) { return prefix + std::to_string(++fresh_); }

  std::map<std::string, Endpoint> endpoints() {
    const std::string pull = R"({"pullerId": "matrix", "waitSeconds": 0})";
    auto fixed = [](const std::string& method, const std::string& target,
                    const std::string& body = "") {
      return Endpoint{[=](Caller) { return Request{method, target, body}; }, nullptr};
    };
    std::map<std::string, Endpoint> rows = {
        {"GET /healthz", fixed("GET", "/healthz")},
        {"GET /readyz", fixed("GET", "/readyz")},
        {"HEAD /readyz", fixed("HEAD", "/readyz")},
        {"POST /v1/agendas (for A)", fixed("POST", "/v1/agendas",
                                           Json{{"customerId", "cust-a"},
                                                {"title", "new"},
                                                {"operations", Json::parse(kOperations)},
                                                {"params", {{"doNotRun", true}}}}
                                               .dump())},
        {"POST /v1/agendas (A's Idempotency-Key)",
         {[](Caller) {
            return Request{"POST",
                           "/v1/agendas",
                           agenda_body("new", true),
                           {{"Idempotency-Key", kIdempotencyKey}}};
          },
          nullptr}},
        {"GET /v1/agendas", fixed("GET", "/v1/agendas")},
        {"GET /v1/agendas?customer=A", fixed("GET", "/v1/agendas?customer=cust-a")},
        {"GET /v1/agendas/{a}", fixed("GET", "/v1/agendas/" + agenda_a_)},
        {"GET /v1/agendas/{b}", fixed("GET", "/v1/agendas/" + agenda_b_)},
        {"GET /v1/agendas/{a}/progress", fixed("GET", "/v1/agendas/" + agenda_a_ + "/progress")},
        {"GET /v1/agendas/{a}/explain", fixed("GET", "/v1/agendas/" + agenda_a_ + "/explain")},
        {"POST /v1/agendas/{a'}/cancel",
         {[this](Caller) {
            return Request{"POST", "/v1/agendas/" + agenda_of_a(true) + "/cancel", ""};
          },
          nullptr}},
        // skipExecution keeps the agenda held: nothing new waits for a puller of pool X.
        {"POST /v1/agendas/{a'}/rerun",
         {[this](Caller) {
            return Request{"POST", "/v1/agendas/" + agenda_of_a(true) + "/rerun",
                           R"({"skipExecution": true})"};
          },
          nullptr}},
        {"DELETE /v1/agendas/{a'}",
         {[this](Caller) {
            return Request{"DELETE", "/v1/agendas/" + agenda_of_a(true), ""};
          },
          nullptr}},
        // Each with the lease's key: these rows are about roles (lease_holder_e2e_test.cc
        // is about the key).
        {"PUT /v1/agendas/{a}/leases/{e}/progress",
         {[this](Caller) {
            return Request{"PUT",
                           lease_path(lease_) + "/progress",
                           lease_.progress.dump(),
                           {{kLeaseKeyHeader, lease_.key}}};
          },
          nullptr}},
        {"POST /v1/agendas/{a'}/leases/{e}/complete",
         {[this](Caller) {
            const Lease lease = leased_agenda_of_a();
            Json progress = lease.progress;
            progress["processingState"] = "COMPLETE";
            progress["processingStateMessage"] = "succeeded";
            return Request{"POST",
                           lease_path(lease) + "/complete",
                           progress.dump(),
                           {{kLeaseKeyHeader, lease.key}}};
          },
          nullptr}},
        {"GET /v1/agendas/{a}/leases/{e}/reports", fixed("GET", lease_path(lease_) + "/reports")},
        {"GET /v1/agendas/{a}/leases/{e}/reports/{op}/{n}",
         fixed("GET", lease_path(lease_) + "/reports/s/1")},
        {"POST /v1/pools/X/pull", fixed("POST", "/v1/pools/pool-x/pull", pull)},
        {"POST /v1/pools/Y/pull", fixed("POST", "/v1/pools/pool-y/pull", pull)},
        {"GET /v1/pools", fixed("GET", "/v1/pools")},
        {"POST /v1/pools",
         {[this](Caller) {
            return Request{"POST", "/v1/pools", Json{{"id", fresh("pool-new-")}}.dump()};
          },
          nullptr}},
        {"GET /v1/pools/X", fixed("GET", "/v1/pools/pool-x")},
        {"PUT /v1/pools/X",
         fixed("PUT", "/v1/pools/pool-x", R"({"id": "pool-x", "title": "Pool X"})")},
        {"DELETE /v1/pools/{p'}",
         {[this](Caller) {
            const std::string id = fresh("pool-gone-");
            admin(201, "POST", "/v1/pools", Json{{"id", id}}.dump());
            return Request{"DELETE", "/v1/pools/" + id, ""};
          },
          nullptr}},
        {"GET /v1/insights", fixed("GET", "/v1/insights")},
        {"POST /v1/insights",
         {[this](Caller) {
            return Request{"POST", "/v1/insights", unmatched_insight(fresh("ins-new-")).dump()};
          },
          nullptr}},
        {"GET /v1/insights/{A's}", fixed("GET", "/v1/insights/ins-SECRET-A")},
        {"PUT /v1/insights/{A's}", fixed("PUT", "/v1/insights/ins-SECRET-A",
                                         Json{{"id", "ins-SECRET-A"},
                                              {"resourcePoolId", "pool-x"},
                                              {"customerId", "cust-a"},
                                              {"title", "SECRET-A insight"},
                                              {"schedulingAlgorithm", "fifo"}}
                                             .dump())},
        {"DELETE /v1/insights/{A's'}",
         {[this](Caller) {
            Json insight = unmatched_insight(fresh("ins-gone-"));
            insight["customerId"] = "cust-a";
            insight["title"] = "SECRET-A insight to delete";
            admin(201, "POST", "/v1/insights", insight.dump());
            return Request{"DELETE", "/v1/insights/" + insight["id"].get<std::string>(), ""};
          },
          nullptr}},
        {"GET /v1/customers", fixed("GET", "/v1/customers")},
        {"POST /v1/customers",
         {[this](Caller) {
            return Request{"POST", "/v1/customers", Json{{"id", fresh("cust-new-")}}.dump()};
          },
          nullptr}},
        {"GET /v1/customers/A", fixed("GET", "/v1/customers/cust-a")},
        {"PUT /v1/customers/A", fixed("PUT", "/v1/customers/cust-a",
                                      customer_document("cust-a", "pool-x", "SECRET-A").dump())},
        {"DELETE /v1/customers/A",
         {[](Caller) {
            return Request{"DELETE", "/v1/customers/cust-a", ""};
          },
          [this] {
            if (call("GET", "/v1/customers/cust-a").status == 404)
              admin(201, "POST", "/v1/customers",
                    customer_document("cust-a", "pool-x", "SECRET-A").dump());
          }}},
        {"GET /v1/templates", fixed("GET", "/v1/templates")},
        {"POST /v1/templates (for A)",
         {[this](Caller) {
            Json body = template_document("cust-a", "new");
            body["id"] = fresh("tpl-new-");
            return Request{"POST", "/v1/templates", body.dump()};
          },
          nullptr}},
        {"GET /v1/templates/{A's}", fixed("GET", "/v1/templates/tpl-cust-a")},
        {"GET /v1/templates/{B's}", fixed("GET", "/v1/templates/tpl-cust-b")},
        {"PUT /v1/templates/{A's}",
         fixed("PUT", "/v1/templates/tpl-cust-a", template_document("cust-a", "SECRET-A").dump())},
        {"DELETE /v1/templates/{A's'}",
         {[this](Caller) {
            Json body = template_document("cust-a", "SECRET-A");
            body["id"] = fresh("tpl-gone-");
            admin(201, "POST", "/v1/templates", body.dump());
            return Request{"DELETE", "/v1/templates/" + body["id"].get<std::string>(), ""};
          },
          nullptr}},
        {"POST /v1/templates/{A's}/run",
         fixed("POST", "/v1/templates/tpl-cust-a/run", R"({"payload": {}})")},
        {"POST /v1/tokens (member of A)",
         fixed("POST", "/v1/tokens", R"({"role": "member", "customerIds": ["cust-a"]})")},
        {"GET /v1/tokens", fixed("GET", "/v1/tokens")},
        {"GET /v1/tokens/{A's}", fixed("GET", "/v1/tokens/" + a_token_id_)},
        {"DELETE /v1/tokens/{A's'}",
         {[this](Caller) {
            const Json token = issue_token({{"role", "member"},
                                            {"customerIds", {"cust-a"}},
                                            {"description", "SECRET-A token to revoke"}});
            return Request{"DELETE", "/v1/tokens/" + token.value("id", ""), ""};
          },
          nullptr}},
        {"GET /v1/audit", fixed("GET", "/v1/audit")},
        {"POST /v1/reports",
         fixed("POST", "/v1/reports", R"({"percentComplete": 50, "message": "half way"})")},
    };
    return rows;
  }

  // An insight of pool X whose mapper matches no agenda of the test, so that binding is
  // unchanged by it.
  static Json unmatched_insight(const std::string& id) {
    return {{"id", id},
            {"resourcePoolId", "pool-x"},
            {"mappers", {{"operationName", {"matches-nothing"}}}}};
  }

  // The customers whose data `caller` may not see: all of them in a refusal (but its own),
  // and in an answer, those it neither acts for nor pulls for.
  std::vector<const std::vector<std::string>*> foreign_marks(Caller caller, bool allowed) const {
    switch (caller) {
      case kMemberA:
        return {&marks_b_};
      case kMemberB:
        return {&marks_a_};
      case kMemberAB:
      case kAdmin:
        return {};
      case kPullerX:
        return allowed ? std::vector{&marks_b_} : std::vector{&marks_a_, &marks_b_};
      case kPullerY:
        return allowed ? std::vector{&marks_a_} : std::vector{&marks_a_, &marks_b_};
      default:
        return {&marks_a_, &marks_b_};
    }
  }

  // Fails for each mark of another customer's data in the answer, unless the caller sent
  // it itself (an id in the path, echoed by a 404). True when there was none.
  bool expect_no_foreign_data(Caller caller, const std::string& endpoint,
                              const std::string& request_text,
                              const http_client::Response& response) {
    bool clean = true;
    std::string answer = response.body;
    for (const auto& [name, value] : response.headers) answer += "\n" + name + ": " + value;
    const bool allowed = response.status >= 200 && response.status < 300;
    for (const auto* marks : foreign_marks(caller, allowed)) {
      for (const std::string& mark : *marks) {
        if (mark.empty() || request_text.find(mark) != std::string::npos ||
            answer.find(mark) == std::string::npos)
          continue;
        clean = false;
        ADD_FAILURE() << endpoint << " as " << kCallerNames[caller] << " (status "
                      << response.status << ") shows another customer's data \"" << mark
                      << "\": " << response.body;
      }
    }
    return clean;
  }

  std::vector<std::string> marks_a_ = {"SECRET-A"};
  std::vector<std::string> marks_b_ = {"SECRET-B"};
  std::string a_token_id_;
  std::string agenda_a_;
  std::string agenda_b_;
  Lease lease_;
  int fresh_ = 0;
};

struct Cell {
  int status = 0;
  bool leaked = false;  // the answer showed another customer's data
};

std::string matrix_table(const std::vector<std::array<Cell, kCallerCount>>& actual) {
  std::size_t label_width = 0;
  for (const Expected& row : kMatrix)
    label_width = std::max(label_width, std::string_view(row.endpoint).size());
  std::string table;
  auto cell = [&table](std::string text, std::size_t width) {
    table += std::string(width > text.size() ? width - text.size() : 0, ' ') + text;
  };
  std::array<std::size_t, kCallerCount> widths{};
  cell("endpoint \\ caller", label_width);
  for (int caller = 0; caller < kCallerCount; ++caller) {
    widths[caller] = std::max<std::size_t>(std::string_view(kCallerNames[caller]).size(), 4) + 2;
    cell(kCallerNames[caller], widths[caller]);
  }
  table += "\n";
  for (std::size_t row = 0; row < actual.size(); ++row) {
    table += kMatrix[row].endpoint;
    table += std::string(label_width - std::string_view(kMatrix[row].endpoint).size(), ' ');
    for (int caller = 0; caller < kCallerCount; ++caller) {
      const Cell& answer = actual[row][caller];
      cell(std::string(answer.leaked ? "$" : "") + std::to_string(answer.status) +
               (answer.status == kMatrix[row].status[caller] ? " " : "!"),
           widths[caller]);
    }
    table += "\n";
  }
  return table;
}

TEST_F(AccessMatrixE2eTest, EveryEndpointAnswersEveryCallerAsTheRulesSay) {
  set_up_tenants();
  ASSERT_FALSE(HasFailure()) << "the setup failed; the matrix would say nothing";
  std::map<std::string, Endpoint> rows = endpoints();
  ASSERT_EQ(rows.size(), std::size(kMatrix));

  std::vector<std::array<Cell, kCallerCount>> actual;
  for (const Expected& expected : kMatrix) {
    auto row = rows.find(expected.endpoint);
    ASSERT_NE(row, rows.end()) << "no request for " << expected.endpoint;
    auto& statuses = actual.emplace_back();
    for (int column = 0; column < kCallerCount; ++column) {
      const Caller caller = static_cast<Caller>(column);
      const Request request = row->second.request(caller);
      const http_client::Response response = send(caller, request);
      statuses[column].status = response.status;
      EXPECT_EQ(response.status, expected.status[column])
          << expected.endpoint << " as " << kCallerNames[column] << " (" << request.method << " "
          << request.target << "): " << response.body;
      if (column < kBadCredentials && response.status == 401) {
        EXPECT_EQ(response.header("WWW-Authenticate"), "Bearer realm=\"pop\"");
      }
      const std::string sent = request.method + " " + request.target + "\n" + request.body + "\n" +
                               authorization_[caller].value_or("");
      statuses[column].leaked = !expect_no_foreign_data(caller, expected.endpoint, sent, response);
      if (row->second.after_each) row->second.after_each();
    }
  }
  std::printf(
      "Access matrix (status per endpoint and caller; '!': not kMatrix's status, '$': the "
      "answer showed another customer's data):\n%s",
      matrix_table(actual).c_str());
}

// The refusals name their reason in the server's log, never the credential.
TEST_F(AccessMatrixTest, RefusalsAreLoggedWithTheirReasonAndWithoutTheToken) {
  auto tag = [](int column) { return std::to_string(column); };
  const Json live = issue_token({{"role", "member"}, {"customerIds", {"cust-log"}}});
  make_bad_credentials(live);
  ASSERT_FALSE(HasFailure());
  const std::array<std::string, kBadCredentials> reasons = {
      "the request has no Authorization header",
      "the Authorization header must be \"Bearer <token>\"",
      "unknown API token " + live.value("id", ""),
      "the API token was revoked",
      "the JWT expired",
      "the JWT signature does not verify",
      "the JWT algorithm \"none\" is not accepted",
      "the JWT signature does not verify",
  };
  for (int column = 0; column < kBadCredentials; ++column) {
    const auto response =
        send(static_cast<Caller>(column),
             {"GET", "/v1/agendas?limit=1", "", {{"X-Correlation-Id", "refused-" + tag(column)}}});
    EXPECT_EQ(response.status, 401) << kCallerNames[column] << ": " << response.body;
  }
  stop_server();
  const std::string log = log_text();

  for (int column = 0; column < kBadCredentials; ++column) {
    const std::size_t at = log.find("correlation_id=refused-" + tag(column) + " ");
    ASSERT_NE(at, std::string::npos) << kCallerNames[column] << " not logged:\n" << log;
    const std::size_t begin = log.rfind('\n', at) + 1;  // npos + 1 is 0
    const std::string line = log.substr(begin, log.find('\n', at) - begin);
    EXPECT_NE(line.find("refused method=GET path=/v1/agendas"), std::string::npos) << line;
    EXPECT_NE(line.find("peer=127.0.0.1"), std::string::npos) << line;
    // The reason as the log quotes it, without its closing quote: some go on with an id.
    const std::string quoted = Json(reasons[column]).dump();
    EXPECT_NE(line.find(" error=" + quoted.substr(0, quoted.size() - 1)), std::string::npos)
        << kCallerNames[column] << ": " << line;
  }

  // No credential shows, whole or in part: not the bad ones, not the admin's (which the
  // malformed header carried), not the live token whose id the unknown one borrowed.
  std::vector<std::string> secrets = {admin_token(), live.value("token", "")};
  for (const auto& authorization : authorization_) {
    if (!authorization) continue;
    const std::string token = authorization->substr(authorization->find(' ') + 1);
    secrets.push_back(token);
    // API tokens: the secret after "pop_<id>_"; JWTs: every segment.
    if (token.starts_with("pop_")) {
      secrets.push_back(token.substr(token.find('_', 4) + 1));
      continue;
    }
    for (std::size_t start = 0;;) {
      const std::size_t end = token.find('.', start);
      if (const std::string part = token.substr(start, end - start); part.size() >= 16)
        secrets.push_back(part);
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  for (const std::string& secret : secrets) {
    ASSERT_FALSE(secret.empty());
    EXPECT_EQ(log.find(secret), std::string::npos) << "the log shows " << secret;
  }
}

}  // namespace
}  // namespace pop::api
