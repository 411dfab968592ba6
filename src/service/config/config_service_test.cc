// Configuration CRUD, its rules and its live effect on the queues, against a real SQLite
// store and a fake clock.
#include "service/config/config_service.h"

#include <gtest/gtest.h>

#include "model/agenda_progress.h"
#include "service/agendas/template_run.h"
#include "service/audit/audit_trail.h"
#include "store/sqlite/sqlite_store.h"
#include "util/temp_dir.h"

namespace pop::service {
namespace {

using store::DocumentKind;

const Caller kAdmin{"default"};
const auth::Principal kAdminPrincipal = auth::admin_principal("token:admin");

class ConfigServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("pop-config-test-");
    ASSERT_TRUE(dir.has_value());
    dir_.emplace(std::move(*dir));
    store::sqlite::SqliteStoreOptions store_options;
    store_options.data_directory = dir_->path();
    auto store = store::sqlite::SqliteStore::open(store_options);
    ASSERT_TRUE(store.has_value()) << store.error().message;
    store_ = std::move(*store);
    const TypeKnown type_known = [](std::string_view type) { return type == "sample"; };
    agendas_ =
        std::make_unique<AgendaService>(*store_, queues_, type_known, clock_, ServiceOptions{});
    ASSERT_TRUE(agendas_->start());
    config_ =
        std::make_unique<ConfigService>(*store_, queues_, type_known, clock_, ConfigOptions{});
    audit_ = std::make_unique<AuditTrail>(*store_, clock_, null_logger());
    reports_ = std::make_unique<ReportService>(*store_, std::string(32, 's'), clock_);
    access_ = std::make_unique<AgendaAccess>(*agendas_, *audit_, *reports_);
  }

  Json create(DocumentKind kind, const std::string& body) {
    auto created = config_->create(kAdmin, kind, Json::parse(body));
    EXPECT_TRUE(created.has_value())
        << created.error().message << " " << (created ? "" : Json(created.error().details).dump());
    return created ? created->document : Json();
  }

  Error create_error(DocumentKind kind, const std::string& body) {
    auto created = config_->create(kAdmin, kind, Json::parse(body));
    EXPECT_FALSE(created.has_value());
    return created ? Error{} : created.error();
  }

  std::string submit(const std::string& customer, const std::string& body) {
    auto submitted = agendas_->submit(
        {.customer_id = customer, .document = Json::parse(body), .idempotency_key = ""});
    EXPECT_TRUE(submitted.has_value()) << submitted.error().message;
    return submitted ? submitted->agenda["id"].get<std::string>() : "";
  }

  // The pool `gpu` with the global insight `enc` (FIFO, queue size 1, for operations of
  // type sample) and the customer `acme` in it.
  void gpu_pool() {
    create(DocumentKind::kResourcePool, R"({"id": "gpu", "title": "GPUs"})");
    create(DocumentKind::kInsight, R"({"id": "enc", "resourcePoolId": "gpu", "queueSize": 1,
                                       "isGlobal": true, "mappers": {"operationType": ["sample"]}})");
    create(DocumentKind::kCustomer, R"({"id": "acme", "resourcePoolId": "gpu"})");
  }

  std::optional<TempDir> dir_;
  ManualClock clock_{WallTime(std::chrono::milliseconds(1795852800000))};
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  scheduler::InsightQueues queues_;
  std::unique_ptr<AgendaService> agendas_;
  std::unique_ptr<AuditTrail> audit_;
  std::unique_ptr<ReportService> reports_;
  std::unique_ptr<AgendaAccess> access_;
  std::unique_ptr<ConfigService> config_;
};

const char* kOne = R"({"operations": [{"name": "a", "type": "sample"}]})";

TEST_F(ConfigServiceTest, PoolLifecycleWithVersions) {
  const Json created = create(DocumentKind::kResourcePool, R"({"id": "gpu", "title": "GPUs"})");
  EXPECT_EQ(created["version"], 1);
  EXPECT_EQ(created["title"], "GPUs");
  EXPECT_EQ(created["addedTime"], "2026-11-28T08:00:00.000Z");
  EXPECT_EQ(created["insightIds"], Json::array());

  clock_.advance(std::chrono::seconds(5));
  // A document read back can be sent again: the server's own fields are ignored.
  Json edited = created;
  edited["title"] = "Graphics";
  auto replaced = config_->replace(kAdmin, DocumentKind::kResourcePool, "gpu", edited, 1);
  ASSERT_TRUE(replaced.has_value()) << replaced.error().message;
  EXPECT_EQ(replaced->version, 2);
  EXPECT_EQ(replaced->document["title"], "Graphics");
  EXPECT_EQ(replaced->document["addedTime"], "2026-11-28T08:00:00.000Z");
  EXPECT_EQ(replaced->document["updatedTime"], "2026-11-28T08:00:05.000Z");

  auto stale = config_->replace(kAdmin, DocumentKind::kResourcePool, "gpu", edited, 1);
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_EQ(stale.error().message, "resource pool \"gpu\" is at version 2, not 1");
  EXPECT_EQ((*config_->get(DocumentKind::kResourcePool, "gpu")).document["title"], "Graphics");

  auto listed = config_->list(DocumentKind::kResourcePool, "", 100);
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->items.size(), 2u);  // default and gpu, in id order
  EXPECT_EQ(listed->items[0]["id"], "default");
  EXPECT_EQ(listed->items[0]["insightIds"], Json::array({"default"}));
  EXPECT_FALSE(listed->next_cursor);

  ASSERT_TRUE(config_->remove(DocumentKind::kResourcePool, "gpu"));
  EXPECT_EQ(config_->get(DocumentKind::kResourcePool, "gpu").error().message,
            "no resource pool \"gpu\"");
  EXPECT_EQ(config_->remove(DocumentKind::kResourcePool, "gpu").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(config_->replace(kAdmin, DocumentKind::kResourcePool, "gpu", edited, std::nullopt)
                .error()
                .code,
            ErrorCode::kNotFound);
}

TEST_F(ConfigServiceTest, ListingPagesWithACursor) {
  for (const char* id : {"c1", "c2", "c3"})
    create(DocumentKind::kCustomer, std::string(R"({"id": ")") + id + "\"}");
  auto first = config_->list(DocumentKind::kCustomer, "", 2);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->items.size(), 2u);
  ASSERT_TRUE(first->next_cursor);
  auto second = config_->list(DocumentKind::kCustomer, *first->next_cursor, 2);
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(second->items[0]["id"], "c3");
  EXPECT_FALSE(second->next_cursor);
  EXPECT_EQ(config_->list(DocumentKind::kCustomer, "bogus", 2).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_F(ConfigServiceTest, IdsAreGivenOrGeneratedAndFollowTheNameRules) {
  const Json generated = create(DocumentKind::kResourcePool, R"({"title": "anonymous"})");
  EXPECT_EQ(generated["id"].get<std::string>().size(), 36u);
  const Json customer = create(DocumentKind::kCustomer, "{}");
  EXPECT_EQ(customer["weight"], 1.0);
  EXPECT_EQ(customer["maxWaitingAgendas"], nullptr);

  EXPECT_EQ(create_error(DocumentKind::kResourcePool, R"({"id": "a/b"})").details,
            std::vector<std::string>{"id: must not contain control characters or \"/\""});
  EXPECT_EQ(create_error(DocumentKind::kResourcePool, R"({"id": ")" + std::string(257, 'x') + "\"}")
                .details,
            std::vector<std::string>{"id: is 257 bytes long, over the limit of 256"});
  EXPECT_EQ(create_error(DocumentKind::kResourcePool, R"({"id": "tab\there"})").code,
            kInvalidDocument);
  const Error duplicate = create_error(DocumentKind::kResourcePool, R"({"id": "default"})");
  EXPECT_EQ(duplicate.code, ErrorCode::kConflict);
  EXPECT_EQ(duplicate.message, "resource pool \"default\" already exists");

  create(DocumentKind::kResourcePool, R"({"id": "gpu"})");
  auto renamed =
      config_->replace(kAdmin, DocumentKind::kResourcePool, "gpu", Json{{"id", "cpu"}}, {});
  ASSERT_FALSE(renamed.has_value());
  EXPECT_EQ(renamed.error().details,
            std::vector<std::string>{"id: \"cpu\" does not match the id in the path"});
}

TEST_F(ConfigServiceTest, InvalidDocumentsListEveryProblemAndStoreNothing) {
  const Error error = create_error(DocumentKind::kCustomer, R"({"id": "acme", "weight": 0,
      "wieght": 2, "kubernetesNamespace": "Bad_NS", "maxWaitingAgendas": -1,
      "maxRunningAgendas": 1.5, "title": 7})");
  EXPECT_EQ(error.code, kInvalidDocument);
  EXPECT_EQ(error.message, "customer is invalid: 6 problems");
  EXPECT_EQ(error.details,
            (std::vector<std::string>{
                "wieght: unknown field", "title: must be a string",
                "weight: must be a number from 0.001 to 1000",
                "maxWaitingAgendas: must be an integer from 0 to 1000000000 (or null for no "
                "limit)",
                "maxRunningAgendas: must be an integer from 0 to 1000000000 (or null for no "
                "limit)",
                "kubernetesNamespace: must be a Kubernetes namespace name: at most 63 "
                "characters of a-z, 0-9 and '-', starting and ending with a letter or digit"}));
  EXPECT_EQ(create_error(DocumentKind::kCustomer, "[1]").details,
            std::vector<std::string>{"the document must be a JSON object"});
  EXPECT_EQ(config_->get(DocumentKind::kCustomer, "acme").error().code, ErrorCode::kNotFound);

  const Error insight =
      create_error(DocumentKind::kInsight, R"({"id": "x", "schedulingAlgorithm": "lottery",
                                  "algorithmConfig": {"agingIntervalSeconds": 0, "speed": 1}})");
  EXPECT_EQ(insight.details,
            (std::vector<std::string>{
                "resourcePoolId: is required",
                "algorithmConfig.agingIntervalSeconds: must be an integer from 1 to 31536000",
                "algorithmConfig.speed: unknown setting (known: agingIntervalSeconds)",
                "schedulingAlgorithm: unknown algorithm \"lottery\"; known: fifo, roundRobin, "
                "weightedFair, priority"}));
  EXPECT_EQ(create_error(DocumentKind::kInsight, R"({"resourcePoolId": "default", "queueSize": 0})")
                .details,
            std::vector<std::string>{"queueSize must be an integer from 1 to 10000"});
  EXPECT_EQ(queues_.insights().size(), 1u) << "an invalid insight reached the queues";
}

TEST_F(ConfigServiceTest, PoolsMustExistAndCannotBeDeletedWhileUsed) {
  EXPECT_EQ(
      create_error(DocumentKind::kInsight, R"({"id": "enc", "resourcePoolId": "gpu"})").details,
      std::vector<std::string>{"resourcePoolId: no resource pool \"gpu\""});
  EXPECT_EQ(
      create_error(DocumentKind::kCustomer, R"({"id": "acme", "resourcePoolId": "gpu"})").details,
      std::vector<std::string>{"resourcePoolId: no resource pool \"gpu\""});
  gpu_pool();
  EXPECT_EQ((*config_->get(DocumentKind::kResourcePool, "gpu")).document["insightIds"],
            Json::array({"enc"}));

  auto in_use = config_->remove(DocumentKind::kResourcePool, "gpu");
  ASSERT_FALSE(in_use.has_value());
  EXPECT_EQ(in_use.error().code, ErrorCode::kConflict);
  EXPECT_EQ(in_use.error().message, "resource pool \"gpu\" is in use; move or delete these first");
  EXPECT_EQ(in_use.error().details, (std::vector<std::string>{"insights using it: \"enc\"",
                                                              "customers using it: \"acme\""}));

  EXPECT_EQ(config_->remove(DocumentKind::kResourcePool, "default").error().code,
            ErrorCode::kConflict);
  EXPECT_EQ(config_->remove(DocumentKind::kInsight, "default").error().code, ErrorCode::kConflict);
  auto leaving = config_->replace(kAdmin, DocumentKind::kInsight, "default",
                                  Json{{"resourcePoolId", "gpu"}}, std::nullopt);
  ASSERT_FALSE(leaving.has_value());
  EXPECT_EQ(leaving.error().details,
            std::vector<std::string>{"resourcePoolId: the catch-all insight of the default pool "
                                     "\"default\" cannot leave it"});

  ASSERT_TRUE(config_->remove(DocumentKind::kCustomer, "acme"));
  ASSERT_TRUE(config_->remove(DocumentKind::kInsight, "enc"));
  EXPECT_TRUE(config_->remove(DocumentKind::kResourcePool, "gpu"));
}

TEST_F(ConfigServiceTest, InsightChangesReachTheQueuesAtOnce) {
  gpu_pool();
  const Json stored = (*config_->get(DocumentKind::kInsight, "enc")).document;
  EXPECT_EQ(stored["customerId"], "default") << "the creator owns an insight that names no owner";
  const std::string first = submit("acme", kOne);
  const std::string second = submit("acme", kOne);
  EXPECT_EQ((*agendas_->agenda(first))["agendaInsight"]["insightId"], "enc");
  EXPECT_EQ((*agendas_->explain(second))["algorithm"], "fifo");
  EXPECT_EQ(queues_.ready_count("enc"), 1u);

  Json edited = stored;
  edited["schedulingAlgorithm"] = "priority";
  edited["queueSize"] = 5;
  ASSERT_TRUE(config_->replace(kAdmin, DocumentKind::kInsight, "enc", edited, std::nullopt));
  EXPECT_EQ((*agendas_->explain(second))["algorithm"], "priority");
  EXPECT_EQ(queues_.ready_count("enc"), 2u) << "the larger queue size applies at once";
  EXPECT_EQ((*config_->get(DocumentKind::kInsight, "enc")).document["customerId"], "default")
      << "a replace without customerId keeps the owner";

  // Moving the insight takes its agendas to the other pool's pullers.
  create(DocumentKind::kResourcePool, R"({"id": "cpu"})");
  edited["resourcePoolId"] = "cpu";
  ASSERT_TRUE(config_->replace(kAdmin, DocumentKind::kInsight, "enc", edited, std::nullopt));
  EXPECT_TRUE(agendas_->pull("gpu", "p", 10)->empty());
  EXPECT_EQ(agendas_->pull("cpu", "p", 1)->size(), 1u);
}

TEST_F(ConfigServiceTest, AnInsightWithAgendasCannotBeDeleted) {
  gpu_pool();
  const std::string id = submit("acme", kOne);
  auto waiting = config_->remove(DocumentKind::kInsight, "enc");
  ASSERT_FALSE(waiting.has_value());
  EXPECT_EQ(waiting.error().code, ErrorCode::kConflict);
  EXPECT_EQ(waiting.error().message,
            "insight \"enc\" still holds 1 waiting agendas; cancel them or let them run first");

  auto leased = agendas_->pull("gpu", "p", 1);
  ASSERT_TRUE(leased.has_value());
  ASSERT_EQ(leased->size(), 1u);
  auto running = config_->remove(DocumentKind::kInsight, "enc");
  ASSERT_FALSE(running.has_value());
  EXPECT_EQ(running.error().code, ErrorCode::kConflict);
  EXPECT_EQ(running.error().message,
            "insight \"enc\" has 1 agendas that have not completed (executing, handed to a "
            "puller or held); cancel them or let them finish first");
  EXPECT_EQ(queues_.insights_of_pool("gpu"), std::vector<std::string>{"enc"})
      << "a refused deletion must leave the queue in place";

  AgendaProgress done = *agenda_progress_from_json((*leased)[0].progress);
  done.state = ProcessingState::kComplete;
  done.outcome = AgendaOutcome::kSucceeded;
  ASSERT_TRUE(agendas_->complete(id, (*leased)[0].epoch, agenda_progress_to_json(done)));
  ASSERT_TRUE(config_->remove(DocumentKind::kInsight, "enc"));
  EXPECT_TRUE(queues_.insights_of_pool("gpu").empty());
  EXPECT_EQ(config_->get(DocumentKind::kInsight, "enc").error().code, ErrorCode::kNotFound);
  // The pool's customers now have no insight to bind to.
  auto unbound = agendas_->submit(
      {.customer_id = "acme", .document = Json::parse(kOne), .idempotency_key = ""});
  ASSERT_FALSE(unbound.has_value());
  EXPECT_EQ(unbound.error().code, ErrorCode::kInvalidAgenda);
}

TEST_F(ConfigServiceTest, CustomerWeightsReachWeightedFairInsightsAtOnce) {
  create(DocumentKind::kInsight, R"({"id": "fair", "resourcePoolId": "default", "queueSize": 1,
      "isGlobal": true, "schedulingAlgorithm": "weightedFair",
      "mappers": {"operationName": ["w"]}})");
  create(DocumentKind::kCustomer, R"({"id": "heavy"})");
  create(DocumentKind::kCustomer, R"({"id": "light"})");
  auto heavy =
      config_->replace(kAdmin, DocumentKind::kCustomer, "heavy", Json{{"weight", 3}}, std::nullopt);
  ASSERT_TRUE(heavy.has_value()) << heavy.error().message;
  const char* agenda = R"({"operations": [{"name": "w", "type": "sample"}]})";
  for (int n = 0; n < 12; ++n) {
    submit("heavy", agenda);
    submit("light", agenda);
  }
  int heavy_count = 0;
  for (int n = 0; n < 12; ++n) {
    auto pulled = agendas_->pull("default", "p", 1);
    ASSERT_TRUE(pulled.has_value());
    ASSERT_EQ(pulled->size(), 1u);
    heavy_count += (*pulled)[0].agenda["customerId"] == "heavy" ? 1 : 0;
  }
  // Weights 3:1 give 9 of 12 within the documented bound (1/3 + 1 in weighted units);
  // equal weights would give 6.
  EXPECT_GE(heavy_count, 8);
  EXPECT_LE(heavy_count, 10);
}

TEST_F(ConfigServiceTest, TemplatesAreCheckedByATrialBind) {
  const Json stored = create(DocumentKind::kAgendaTemplate, R"({"id": "t",
      "staticParameters": {"greeting": "hi"},
      "agenda": {"operations": [{"name": "a", "type": "sample",
                 "payload": {"resultPayload": "@<greeting> @<pop.payload::name>"}},
                {"name": "b", "type": "sample", "payload": "@<a.out>"}]}})");
  EXPECT_EQ(stored["customerId"], "default");
  EXPECT_EQ(stored["isGlobal"], false);

  const Error bad_type = create_error(DocumentKind::kAgendaTemplate, R"({"agenda":
      {"operations": [{"name": "a", "type": "nope"}]}})");
  EXPECT_EQ(bad_type.code, kInvalidDocument);
  EXPECT_EQ(bad_type.details,
            std::vector<std::string>{"agenda (bound with a null payload): operation \"a\", field "
                                     "type: no handler for operation type \"nope\""});
  const Error unknown = create_error(DocumentKind::kAgendaTemplate, R"({"agenda":
      {"operations": [{"name": "a", "type": "sample", "payload": "@<b.out>"}]}})");
  EXPECT_EQ(unknown.details,
            std::vector<std::string>{"agenda (bound with a null payload): operation \"a\", field "
                                     "payload: reference \"@<b.out>\" names unknown operation "
                                     "\"b\""});
  const Error token = create_error(DocumentKind::kAgendaTemplate, R"({"agenda":
      {"operations": [{"name": "a", "type": "sample", "payload": "@<greting>"}]}})");
  ASSERT_EQ(token.details.size(), 1u);
  EXPECT_EQ(token.details[0].rfind("agenda: at /operations/0/payload: malformed reference "
                                   "\"@<greting>\": unknown source \"greting\"",
                                   0),
            0u)
      << token.details[0];
  const Error names = create_error(DocumentKind::kAgendaTemplate, R"({"agenda": 5,
      "staticParameters": {"pop.x": 1}, "isGlobal": "yes"})");
  EXPECT_EQ(names.details,
            (std::vector<std::string>{
                "staticParameters: name \"pop.x\" must not start with \"pop.\" or end with "
                "\".out\" (the executor's sources)",
                "agenda: must be an object (an agenda with @<...> tokens)",
                "isGlobal: must be true or false"}));
}

// docs/server.md: a template's operation names and types cannot come from the payload. The
// trial bind reads a missing payload path as null, so "?sample" passed it before.
TEST_F(ConfigServiceTest, TemplateOperationNamesAndTypesAreWrittenOut) {
  const Error type = create_error(DocumentKind::kAgendaTemplate, R"({"id": "t",
      "agenda": {"operations": [{"name": "a", "type": "@<pop.payload::/t?sample>"}]}})");
  EXPECT_EQ(type.code, kInvalidDocument);
  EXPECT_EQ(type.details, std::vector<std::string>{
                              "agenda: operation \"a\", field type: must be written out in a "
                              "template, not bound from a reference: "
                              "\"@<pop.payload::/t?sample>\""});
  const Error name = create_error(DocumentKind::kAgendaTemplate, R"({"id": "t",
      "staticParameters": {"n": "x"},
      "agenda": {"operations": [{"name": "@<n>", "type": "sample"}]}})");
  EXPECT_EQ(name.details, std::vector<std::string>{
                              "agenda: operation \"#0\", field name: must be written out in a "
                              "template, not bound from a reference: \"@<n>\""});
  EXPECT_EQ(config_->get(DocumentKind::kAgendaTemplate, "t").error().code, ErrorCode::kNotFound);
}

// Static parameters repeated past the agenda's limits are refused when the template is
// stored, before the agenda is built, naming the template and the limit.
TEST_F(ConfigServiceTest, TemplatesThatExpandPastTheAgendaLimitsAreRefused) {
  Json copies = Json::array();
  for (int i = 0; i < 100; ++i) copies.push_back("@<big>");
  const Json expanding = {
      {"id", "t"},
      {"staticParameters", {{"big", std::string(400'000, 's')}}},
      {"agenda", {{"operations", {{{"name", "a"}, {"type", "sample"}, {"payload", copies}}}}}}};
  auto created = config_->create(kAdmin, DocumentKind::kAgendaTemplate, expanding);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(created.error().message.rfind("agenda template \"t\", its agenda bound: at "
                                          "/operations/0/payload/",
                                          0),
            0u)
      << created.error().message;
  EXPECT_NE(created.error().message.find("the limit of 33554432 bytes (serialised)"),
            std::string::npos)
      << created.error().message;
}

TEST_F(ConfigServiceTest, RunningATemplateSubmitsTheBoundAgenda) {
  Json stored = create(DocumentKind::kAgendaTemplate, R"({"id": "t",
      "staticParameters": {"greeting": "hi"}, "params": {"maximumAttempts": 3},
      "agenda": {"operations": [{"name": "a", "type": "sample",
                 "payload": {"resultPayload": "@<greeting> @<pop.payload::name>"}}]}})");
  TemplateRunRequest request;
  request.payload = {{"name", "bob"}};
  request.params = {{"maximumAttempts", 1}};
  request.link_id = "l1";
  auto run = run_template(*config_, *access_, kAdminPrincipal, "t", request, "key-1");
  ASSERT_TRUE(run.has_value()) << run.error().message;
  const Json& agenda = run->agenda;
  EXPECT_EQ(agenda["operations"][0]["payload"]["resultPayload"], "hi bob");
  EXPECT_EQ(agenda["params"]["maximumAttempts"], 1);
  EXPECT_EQ(agenda["linkId"], "l1");
  EXPECT_EQ(agenda["customerId"], "default");
  EXPECT_EQ((*agendas_->progress(agenda["id"].get<std::string>()))["processingState"], "WAITING");

  auto again = run_template(*config_, *access_, kAdminPrincipal, "t", request, "key-1");
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->agenda["id"], agenda["id"]);

  auto unbound = run_template(*config_, *access_, kAdminPrincipal, "t", {}, "");
  ASSERT_FALSE(unbound.has_value());
  EXPECT_EQ(unbound.error().code, ErrorCode::kInvalidAgenda);
  request.params = {{"maximumAttempts", 99}};
  auto invalid = run_template(*config_, *access_, kAdminPrincipal, "t", request, "");
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().details,
            std::vector<std::string>{
                "agenda, field params.maximumAttempts: must be an integer from 1 to 20, got 99"});
  EXPECT_EQ(run_template(*config_, *access_, kAdminPrincipal, "nope", {}, "").error().code,
            ErrorCode::kNotFound);

  // Another customer sees a template only once it is shared.
  const auth::Principal acme = auth::member_principal("token:acme", {"acme"});
  request.params = Json::object();
  auto hidden = run_template(*config_, *access_, acme, "t", request, "");
  ASSERT_FALSE(hidden.has_value());
  EXPECT_EQ(hidden.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(hidden.error().message, "no agenda template \"t\"");
  stored["allowedCustomerIds"] = {"acme"};
  ASSERT_TRUE(config_->replace(kAdmin, DocumentKind::kAgendaTemplate, "t", stored, std::nullopt));
  auto shared = run_template(*config_, *access_, acme, "t", request, "");
  ASSERT_TRUE(shared.has_value()) << shared.error().message;
  EXPECT_EQ(shared->agenda["customerId"], "acme");
}

// The audit log refuses a caller that may not read it before it looks at the query: a member
// hears 403 whatever it asked, an admin hears what was wrong with its query.
TEST_F(ConfigServiceTest, TheAuditLogRefusesBeforeItReadsTheQuery) {
  const auth::Principal member = auth::member_principal("token:acme", {"acme"});
  const Result<store::AuditQuery> bad_query =
      fail(Error{ErrorCode::kInvalidArgument, "order must be newest or oldest", {}});
  EXPECT_EQ(audit_->list(member, bad_query).error().code, ErrorCode::kForbidden);
  EXPECT_EQ(audit_->list(member, store::AuditQuery{}).error().code, ErrorCode::kForbidden);
  EXPECT_EQ(audit_->list(kAdminPrincipal, bad_query).error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(audit_->list(kAdminPrincipal, store::AuditQuery{}).has_value());
}

}  // namespace
}  // namespace pop::service
