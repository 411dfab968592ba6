// The agenda lifecycle against a real SQLite store and a fake clock.
#include "service/agendas/agenda_service.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "model/agenda_progress.h"
#include "store/forwarding_store.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/captured_log.h"
#include "util/temp_dir.h"

namespace pop::service {
namespace {

using namespace std::chrono_literals;

const char* kDiamond = R"({"operations": [
  {"name": "a", "type": "sample"}, {"name": "b", "type": "sample", "payload": "@<a.out>"}]})";

// The real store with hooks a test sets: what happens between the service's calls.
class HookedStore : public store::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;

  Result<store::LeaseRecord> get_lease(std::string_view agenda_id) override {
    if (before_get_lease) before_get_lease(agenda_id);
    return ForwardingStore::get_lease(agenda_id);
  }

  // Inserts, then answers what `after_insert` makes of the result (a commit whose answer is
  // lost, say).
  Result<store::InsertedAgenda> insert_agenda(const store::NewAgenda& agenda) override {
    auto inserted = ForwardingStore::insert_agenda(agenda);
    return after_insert ? after_insert(std::move(inserted)) : inserted;
  }

  std::function<void(std::string_view agenda_id)> before_get_lease;
  std::function<Result<store::InsertedAgenda>(Result<store::InsertedAgenda>)> after_insert;
};

class AgendaServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("pop-service-test-");
    ASSERT_TRUE(dir.has_value());
    dir_.emplace(std::move(*dir));
    open();
  }

  void open() {
    service_.reset();
    queues_.reset();
    hooked_.reset();
    store_.reset();
    store::sqlite::SqliteStoreOptions store_options;
    store_options.data_directory = dir_->path();
    auto store = store::sqlite::SqliteStore::open(store_options);
    ASSERT_TRUE(store.has_value()) << store.error().message;
    store_ = std::move(*store);
    hooked_ = std::make_unique<HookedStore>(*store_);
    queues_ = std::make_unique<scheduler::InsightQueues>(
        [this](const std::string& pool, const std::string& insight) {
          announced_.push_back(pool + "/" + insight);
        });
    ServiceOptions options;
    options.lease_duration = 10s;
    options.logger = &log_;
    options.events = &journal_;
    service_ = std::make_unique<AgendaService>(
        *hooked_, *queues_, [](std::string_view type) { return type == "sample"; }, clock_,
        options);
    auto started = service_->start();
    ASSERT_TRUE(started.has_value()) << started.error().message;
  }

  std::string submit(const std::string& body = kDiamond, const std::string& key = "") {
    auto submitted = service_->submit(
        {.customer_id = "acme", .document = Json::parse(body), .idempotency_key = key});
    EXPECT_TRUE(submitted.has_value()) << submitted.error().message;
    return submitted ? (*submitted).agenda["id"].get<std::string>() : "";
  }

  std::vector<LeasedAgenda> pull(std::size_t max = 10) {
    auto pulled = service_->pull("default", "puller-1", max);
    EXPECT_TRUE(pulled.has_value()) << pulled.error().message;
    return pulled ? std::move(*pulled) : std::vector<LeasedAgenda>{};
  }

  // The progress an executor would report: `a` succeeded, the agenda as given.
  Json executor_progress(const LeasedAgenda& leased, ProcessingState state, AgendaOutcome outcome) {
    AgendaProgress progress = *agenda_progress_from_json(leased.progress);
    progress.state = state;
    progress.outcome = outcome;
    progress.operations[0].state = OperationState::kSucceeded;
    progress.operations[0].result_payload = Json{{"from", "a"}};
    if (outcome == AgendaOutcome::kFailed) progress.operations[1].state = OperationState::kFailed;
    return agenda_progress_to_json(progress);
  }

  std::optional<TempDir> dir_;
  pop::testing::CapturedLog log_;  // before the service, which logs to it
  ManualClock clock_{WallTime(std::chrono::milliseconds(1795852800000))};
  std::vector<std::string> announced_;  // "pool/insight" of each wake-up the queues gave
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<HookedStore> hooked_;  // what the service uses: store_ with hooks
  std::unique_ptr<scheduler::InsightQueues> queues_;
  EventJournal journal_{1000};  // what the service publishes
  std::unique_ptr<AgendaService> service_;
};

// A submit whose commit went through but whose answer was lost (PostgreSQL's connection cut
// at the COMMIT) is sent again with its key: the replay queues the agenda, which the first
// submit never did.
TEST_F(AgendaServiceTest, AReplayQueuesAnAgendaWhoseFirstSubmitWasNotAnswered) {
  hooked_->after_insert = [](Result<store::InsertedAgenda>) -> Result<store::InsertedAgenda> {
    return fail(ErrorCode::kUnavailable, "the commit's outcome is unknown");
  };
  auto lost = service_->submit(
      {.customer_id = "acme", .document = Json::parse(kDiamond), .idempotency_key = "k"});
  ASSERT_FALSE(lost.has_value());
  EXPECT_TRUE(pull().empty()) << "nothing was queued by the unanswered submit";
  hooked_->after_insert = {};
  const std::string id = submit(kDiamond, "k");
  const auto leased = pull();
  ASSERT_EQ(leased.size(), 1u);
  EXPECT_EQ(leased[0].agenda["id"], id);
}

TEST_F(AgendaServiceTest, SubmitStoresBindsAndQueues) {
  auto submitted = service_->submit(
      {.customer_id = "acme", .document = Json::parse(kDiamond), .idempotency_key = ""});
  ASSERT_TRUE(submitted.has_value()) << submitted.error().message;
  const Json& agenda = submitted->agenda;
  EXPECT_EQ(agenda["customerId"], "acme");
  EXPECT_EQ(agenda["progressId"], agenda["id"]);
  EXPECT_EQ(agenda["agendaInsight"],
            Json::parse(R"({"resourcePoolId": "default", "insightId": "default"})"));
  auto progress = service_->progress(agenda["id"].get<std::string>());
  ASSERT_TRUE(progress.has_value());
  EXPECT_EQ((*progress)["processingState"], "WAITING");
  EXPECT_EQ((*progress)["maximumAttempts"], 3);
  auto pulled = pull();
  ASSERT_EQ(pulled.size(), 1u);
  EXPECT_EQ(pulled[0].agenda["id"], agenda["id"]);
  EXPECT_EQ(pulled[0].epoch, 1u);
  EXPECT_EQ(pulled[0].progress["processingState"], "EXECUTING");
  EXPECT_TRUE(pull().empty()) << "an agenda is handed out once";
}

TEST_F(AgendaServiceTest, IdempotentSubmitCreatesNothingNew) {
  const std::string first = submit(kDiamond, "key-1");
  auto again = service_->submit(
      {.customer_id = "acme", .document = Json::parse(kDiamond), .idempotency_key = "key-1"});
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->agenda["id"], first);
  EXPECT_EQ(pull().size(), 1u);
}

TEST_F(AgendaServiceTest, InvalidAgendaIsRejectedAndNothingStored) {
  auto rejected = service_->submit(
      {.customer_id = "acme",
       .document = Json::parse(R"({"operations": [{"name": "a", "type": "nope"}]})")});
  ASSERT_FALSE(rejected.has_value());
  EXPECT_EQ(rejected.error().code, ErrorCode::kInvalidAgenda);
  EXPECT_EQ(rejected.error().details.at(0),
            "operation \"a\", field type: no handler for operation type \"nope\"");
  auto listed = store_->list_agendas({});
  ASSERT_TRUE(listed.has_value());
  EXPECT_TRUE(listed->items.empty());
}

TEST_F(AgendaServiceTest, ReportsAreFencedAndExpiredLeasesComeBackInContinueMode) {
  const std::string id = submit();
  auto first = pull();
  ASSERT_EQ(first.size(), 1u);
  const Json halfway =
      executor_progress(first[0], ProcessingState::kExecuting, AgendaOutcome::kNone);
  ASSERT_TRUE(service_->report(id, first[0].epoch, halfway).has_value());

  clock_.advance(11s);  // the puller went silent past its lease
  auto reclaimed = service_->reclaim_expired();
  ASSERT_TRUE(reclaimed.has_value());
  EXPECT_EQ(*reclaimed, 1u);
  EXPECT_EQ((*service_->progress(id))["processingState"], "WAITING");

  auto second = pull();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].epoch, 2u);
  // Continue mode: what succeeded before is kept, with its output.
  EXPECT_EQ(second[0].progress["operationProgress"][0]["processingStateMessage"], "succeeded");
  EXPECT_EQ(second[0].progress["operationProgress"][0]["resultPayload"],
            Json::parse(R"({"from": "a"})"));

  const Json before = *service_->progress(id);
  auto stale = service_->report(id, first[0].epoch, halfway);
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_EQ(*service_->progress(id), before) << "a fenced-off report changed the progress";
  EXPECT_EQ(service_
                ->complete(id, first[0].epoch,
                           executor_progress(first[0], ProcessingState::kComplete,
                                             AgendaOutcome::kSucceeded))
                .error()
                .code,
            ErrorCode::kConflict);
}

TEST_F(AgendaServiceTest, FailedAgendaIsRetriedUntilItsAttemptsAreUsed) {
  const std::string id = submit(R"({"params": {"maximumAttempts": 2}, "operations": [
    {"name": "a", "type": "sample"}, {"name": "b", "type": "sample"}]})");
  auto first = pull();
  ASSERT_EQ(first.size(), 1u);
  ASSERT_TRUE(service_->complete(
      id, first[0].epoch,
      executor_progress(first[0], ProcessingState::kComplete, AgendaOutcome::kFailed)));
  EXPECT_EQ((*service_->progress(id))["attemptsCompleted"], 1);
  auto second = pull();
  ASSERT_EQ(second.size(), 1u) << "a failed agenda with attempts left waits again";
  ASSERT_TRUE(service_->complete(
      id, second[0].epoch,
      executor_progress(second[0], ProcessingState::kComplete, AgendaOutcome::kFailed)));
  const Json final_progress = *service_->progress(id);
  EXPECT_EQ(final_progress["processingState"], "COMPLETE");
  EXPECT_EQ(final_progress["processingStateMessage"], "failed");
  EXPECT_EQ(final_progress["attemptsCompleted"], 2);
  EXPECT_TRUE(pull().empty());
}

TEST_F(AgendaServiceTest, RestartQueuesWaitingAgendasAgainInOrder) {
  const std::string first = submit();
  const std::string second = submit();
  const std::string third = submit();
  auto taken = pull(1);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].agenda["id"], first);
  open();  // a new process over the same store
  auto after = pull();
  ASSERT_EQ(after.size(), 2u) << "the leased agenda stays with its puller until its lease expires";
  EXPECT_EQ(after[0].agenda["id"], second);
  EXPECT_EQ(after[1].agenda["id"], third);
}

TEST_F(AgendaServiceTest, CustomersBindToTheInsightsOfTheirPool) {
  const WallTime t = clock_.now();
  ASSERT_TRUE(store_->create_document({store::DocumentKind::kCustomer, "acme", "", 0, t, t,
                                       Json{{"id", "acme"}, {"resourcePoolId", "gpu"}}}));
  ASSERT_TRUE(store_->create_document(
      {store::DocumentKind::kInsight, "gpu-encode", "", 0, t, t,
       Json::parse(R"({"id": "gpu-encode", "resourcePoolId": "gpu", "isGlobal": true,
                       "mappers": {"operationType": ["sample"]}})")}));
  open();
  auto submitted = service_->submit(
      {.customer_id = "acme", .document = Json::parse(kDiamond), .idempotency_key = ""});
  ASSERT_TRUE(submitted.has_value()) << submitted.error().message;
  EXPECT_EQ(submitted->agenda["agendaInsight"]["insightId"], "gpu-encode");
  EXPECT_TRUE(pull().empty()) << "the default pool's puller must not get another pool's work";
  auto gpu = service_->pull("gpu", "gpu-puller", 5);
  ASSERT_TRUE(gpu.has_value());
  EXPECT_EQ(gpu->size(), 1u);
}

TEST_F(AgendaServiceTest, PullSkipsTheInsightsItIsToldToAndHandsOutNoMoreThanALimit) {
  const WallTime t = clock_.now();
  ASSERT_TRUE(store_->create_document(
      {store::DocumentKind::kInsight, "limited", "", 0, t, t,
       Json::parse(R"({"id": "limited", "resourcePoolId": "default", "isGlobal": true,
                       "queueSize": 10, "executionLimit": 2,
                       "mappers": {"operationType": ["none-of-these"]}})")}));
  open();
  EXPECT_EQ(service_->execution_limits("default"),
            (std::map<std::string, std::size_t>{{"limited", 2}}));
  EXPECT_TRUE(service_->execution_limits("gpu").empty());
  const std::string to_limited =
      R"({"params": {"defaultInsight": "limited"}, "operations": [{"name": "a", "type": "sample"}]})";
  std::set<std::string> limited_ids, open_ids;
  for (int i = 0; i < 4; ++i) limited_ids.insert(submit(to_limited));
  for (int i = 0; i < 2; ++i) open_ids.insert(submit());
  auto ids_of = [](const Result<std::vector<LeasedAgenda>>& pulled) {
    std::set<std::string> ids;
    EXPECT_TRUE(pulled.has_value()) << pulled.error().message;
    if (pulled) {
      for (const auto& leased : *pulled) ids.insert(leased.agenda["id"].get<std::string>());
    }
    return ids;
  };

  // Told to skip it: none of the limited insight's agendas, though there is room for them.
  EXPECT_EQ(ids_of(service_->pull("default", "p", 10, std::nullopt, {"limited", "unknown"})),
            open_ids);
  // Not skipped: at most its limit at once, the others keep their places.
  const std::set<std::string> first = ids_of(service_->pull("default", "p", 10));
  EXPECT_EQ(first.size(), 2u);
  const std::set<std::string> second = ids_of(service_->pull("default", "p", 10));
  EXPECT_EQ(second.size(), 2u);
  std::set<std::string> both = first;
  both.insert(second.begin(), second.end());
  EXPECT_EQ(both, limited_ids);
  EXPECT_TRUE(pull().empty());
}

TEST_F(AgendaServiceTest, CancelStopsWaitingAndExecutingAgendas) {
  const std::string running_id = submit();
  const std::string queued_id = submit();
  auto taken = service_->pull("default", "p", 1);  // FIFO: hands out the first
  ASSERT_TRUE(taken.has_value());
  ASSERT_EQ(taken->size(), 1u);
  ASSERT_EQ((*taken)[0].agenda["id"], running_id);

  auto cancelled_queued = service_->cancel(queued_id);
  ASSERT_TRUE(cancelled_queued.has_value()) << cancelled_queued.error().message;
  EXPECT_EQ((*cancelled_queued)["processingStateMessage"], "cancelled");
  EXPECT_TRUE(pull().empty()) << "a cancelled agenda was still handed out";

  ASSERT_TRUE(service_->cancel(running_id).has_value());
  const Json halfway =
      executor_progress((*taken)[0], ProcessingState::kExecuting, AgendaOutcome::kNone);
  auto report = service_->report(running_id, (*taken)[0].epoch, halfway);
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().code, ErrorCode::kConflict)
      << "the puller must learn that it lost the agenda";
  EXPECT_EQ((*service_->progress(running_id))["processingStateMessage"], "cancelled");

  auto again = service_->cancel(running_id);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(service_->cancel("nope").error().code, ErrorCode::kNotFound);
}

TEST_F(AgendaServiceTest, ListFiltersByStateAndLinkAndPages) {
  const std::string a =
      submit(R"({"linkId": "L1", "operations": [{"name": "a", "type": "sample"}]})");
  const std::string b =
      submit(R"({"linkId": "L2", "operations": [{"name": "a", "type": "sample"}]})");
  const std::string c =
      submit(R"({"linkId": "L1", "operations": [{"name": "a", "type": "sample"}]})");
  ASSERT_EQ(pull(1).size(), 1u);  // a is executing now

  auto ids = [&](store::AgendaQuery query) {
    std::vector<std::string> out;
    auto page = service_->list(query);
    EXPECT_TRUE(page.has_value()) << page.error().message;
    if (page) {
      for (const auto& item : (*page)["items"]) out.push_back(item["id"].get<std::string>());
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids({}), (V{a, b, c}));
  store::AgendaQuery query;
  query.link_id = "L1";
  EXPECT_EQ(ids(query), (V{a, c}));
  query = {};
  query.processing_state = ProcessingState::kExecuting;
  EXPECT_EQ(ids(query), V{a});

  query = {};
  query.limit = 2;
  auto first = service_->list(query);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ((*first)["items"].size(), 2u);
  EXPECT_EQ((*first)["items"][0]["processingState"], "EXECUTING");
  EXPECT_EQ((*first)["items"][1]["processingStateMessage"], "pending");
  EXPECT_EQ((*first)["items"][1]["linkId"], "L2");
  ASSERT_TRUE(first->contains("nextCursor"));
  query.cursor = (*first)["nextCursor"].get<std::string>();
  auto second = service_->list(query);
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ((*second)["items"].size(), 1u);
  EXPECT_EQ((*second)["items"][0]["id"], c);
  EXPECT_FALSE(second->contains("nextCursor"));
  query.cursor = "bogus";
  EXPECT_EQ(service_->list(query).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(AgendaServiceTest, DeleteUnqueuesAWaitingAgendaAndFencesAnExecutingOne) {
  const std::string running = submit();
  const std::string queued = submit();
  auto taken = pull(1);
  ASSERT_EQ(taken.size(), 1u);
  ASSERT_TRUE(service_->remove(queued).has_value());
  ASSERT_TRUE(service_->remove(running).has_value());
  EXPECT_TRUE(pull().empty());
  auto report = service_->report(
      running, taken[0].epoch,
      executor_progress(taken[0], ProcessingState::kExecuting, AgendaOutcome::kNone));
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().code, ErrorCode::kNotFound) << "the puller must stop";
  EXPECT_EQ(service_->agenda(running).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(service_->remove(running).error().code, ErrorCode::kNotFound);
}

TEST_F(AgendaServiceTest, PullHandsOutOnlyAgendasThatFitTheResourcesLeft) {
  const std::string big = submit(
      R"({"params": {"resources": {"cpu": 4}}, "operations": [{"name": "a", "type": "sample"}]})");
  const std::string small = submit(
      R"({"params": {"resources": {"cpu": 1}}, "operations": [{"name": "a", "type": "sample"}]})");
  const std::string plain = submit(R"({"operations": [{"name": "a", "type": "sample"}]})");
  auto first = service_->pull("default", "p", 10, Resources{{"cpu", 2}});
  ASSERT_TRUE(first.has_value());
  std::vector<std::string> ids;
  for (const auto& leased : *first) ids.push_back(leased.agenda["id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{small, plain})) << "the big one does not fit in 2";
  auto second = service_->pull("default", "p", 10, Resources{{"memoryMiB", 100}});
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(second->empty()) << "cpu is not advertised, so nothing asking for it fits";
  auto third = service_->pull("default", "p", 10, Resources{{"cpu", 4}});
  ASSERT_TRUE(third.has_value());
  ASSERT_EQ(third->size(), 1u);
  EXPECT_EQ((*third)[0].agenda["id"], big);

  auto invalid = service_->submit(
      {.customer_id = "acme", .document = Json::parse(R"({"params": {"resources": {"cpu": -2}},
                   "operations": [{"name": "a", "type": "sample"}]})")});
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalidAgenda);
  EXPECT_EQ(invalid.error().details.at(0),
            "agenda, field params.resources.cpu must be a number >= 0");
}

// A pull that hands out nothing it took (none fits) wakes nobody: a long-polling puller that
// fits nothing would otherwise be woken by its own pull and try again without end. A pull
// that leases an agenda wakes the pool for what its queue refilled behind it.
TEST_F(AgendaServiceTest, APullThatHandsOutNothingItTookWakesNobody) {
  const std::string first = submit(
      R"({"params": {"resources": {"cpu": 4}}, "operations": [{"name": "a", "type": "sample"}]})");
  const std::string second = submit(
      R"({"params": {"resources": {"cpu": 4}}, "operations": [{"name": "a", "type": "sample"}]})");
  ASSERT_EQ(announced_, (std::vector<std::string>{"default/default", "default/default"}));
  announced_.clear();
  for (int round = 0; round < 3; ++round) {
    auto none = service_->pull("default", "small", 10, Resources{{"cpu", 1}});
    ASSERT_TRUE(none.has_value());
    EXPECT_TRUE(none->empty());
  }
  EXPECT_TRUE(announced_.empty());
  // Put back where they were, in order.
  auto taken = service_->pull("default", "big", 1, Resources{{"cpu", 4}});
  ASSERT_TRUE(taken.has_value());
  ASSERT_EQ(taken->size(), 1u);
  EXPECT_EQ((*taken)[0].agenda["id"], first);
  EXPECT_TRUE(announced_.empty()) << "the second was ready, and announced, already";
  EXPECT_EQ(service_->explain(second)->value("position", 99), 0);
}

// Agendas a pull took from their queues go back when anything between the take and the
// put-back throws (std::bad_alloc, a bug): otherwise they stay stored as waiting but queued
// nowhere, handed to no puller until the server restarts.
TEST_F(AgendaServiceTest, APullThatThrowsPutsWhatItTookBack) {
  const std::string first = submit();
  const std::string second = submit();
  int calls = 0;
  hooked_->before_get_lease = [&](std::string_view) {
    if (++calls == 2) throw std::runtime_error("out of something");
  };
  EXPECT_THROW((void)service_->pull("default", "p", 10), std::runtime_error);
  hooked_->before_get_lease = nullptr;
  std::vector<std::string> ids;
  for (const auto& leased : pull()) ids.push_back(leased.agenda["id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{first, second})) << "both back, in their order";
}

// An agenda that cannot go back into its queue is no silent loss: the server says which and why.
TEST_F(AgendaServiceTest, AnAgendaThatCannotBePutBackIsLogged) {
  const std::string id = submit(
      R"({"params": {"resources": {"cpu": 4}}, "operations": [{"name": "a", "type": "sample"}]})");
  // Its insight goes while the pull holds it (as a configuration change on another thread).
  hooked_->before_get_lease = [&](std::string_view) { queues_->remove_insight("default"); };
  auto none = service_->pull("default", "small", 10, Resources{{"cpu", 1}});
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  const auto logged = log_.with_message("agenda taken by a pull but not put back in its queue");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].level, LogLevel::kError);
  EXPECT_EQ(logged[0].fields.at("agenda"), id);
  EXPECT_EQ(logged[0].fields.at("error"), "insight \"default\" has no queue");
}

TEST_F(AgendaServiceTest, TheAgendaNamesItsCustomerOnlyWhenTheCallerActsForIt) {
  const char* body = R"({"customerId": "globex", "operations": [{"name": "a", "type": "sample"}]})";
  const auto anyone = [](std::string_view) { return true; };
  auto for_globex = service_->submit(
      {.customer_id = "acme", .document = Json::parse(body), .may_act_for = anyone});
  ASSERT_TRUE(for_globex.has_value()) << for_globex.error().message;
  EXPECT_EQ(for_globex->agenda["customerId"], "globex");
  auto refused = service_->submit({.customer_id = "acme", .document = Json::parse(body)});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kForbidden);
  EXPECT_EQ(refused.error().message, "the caller may not submit agendas for customer \"globex\"");
  // No customer in the request (a member of several accounts) and none in the agenda.
  auto unnamed = service_->submit(
      {.customer_id = "",
       .document = Json::parse(R"({"operations": [{"name": "a", "type": "sample"}]})")});
  ASSERT_FALSE(unnamed.has_value());
  EXPECT_EQ(unnamed.error().code, ErrorCode::kInvalidArgument);
  auto bad = service_->submit(
      {.customer_id = "acme",
       .document =
           Json::parse(R"({"customerId": "a/b", "operations": [{"name": "a", "type": "sample"}]})"),
       .may_act_for = anyone});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidAgenda);
  EXPECT_NE(bad.error().details.at(0).find("field customerId"), std::string::npos);
}

TEST_F(AgendaServiceTest, SubmitsBeyondTheWaitingQuotaAreRefusedUntilAgendasLeave) {
  ASSERT_TRUE(
      store_->create_document({store::DocumentKind::kCustomer, "acme", "acme", 0, WallTime{},
                               WallTime{}, Json{{"id", "acme"}, {"maxWaitingAgendas", 2}}}));
  const std::string first = submit();
  submit();
  auto over = service_->submit({.customer_id = "acme", .document = Json::parse(kDiamond)});
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(over.error().message,
            "customer \"acme\" has 2 agendas waiting, its quota maxWaitingAgendas is 2");
  // Another customer is not held back, and a held agenda waits outside the quota.
  EXPECT_TRUE(
      service_->submit({.customer_id = "globex", .document = Json::parse(kDiamond)}).has_value());
  EXPECT_TRUE(
      service_
          ->submit({.customer_id = "acme", .document = Json::parse(R"({"params": {"doNotRun": true},
                                        "operations": [{"name": "a", "type": "sample"}]})")})
          .has_value());
  ASSERT_TRUE(service_->cancel(first).has_value());
  EXPECT_TRUE(
      service_->submit({.customer_id = "acme", .document = Json::parse(kDiamond)}).has_value());
}

// a -> b -> c, plus d on its own. A finished run: a, b and d succeeded, c failed.
class RerunTest : public AgendaServiceTest {
 protected:
  void SetUp() override {
    AgendaServiceTest::SetUp();
    id_ = submit(R"({"params": {"maximumAttempts": 1}, "operations": [
      {"name": "a", "type": "sample"}, {"name": "b", "type": "sample", "payload": "@<a.out>"},
      {"name": "c", "type": "sample", "payload": "@<b.out>"}, {"name": "d", "type": "sample"}]})");
    finish();
  }

  void finish() {
    auto taken = pull(1);
    ASSERT_EQ(taken.size(), 1u);
    finish_from(taken[0]);
  }

  void finish_from(const LeasedAgenda& taken) {
    AgendaProgress progress = *agenda_progress_from_json(taken.progress);
    progress.state = ProcessingState::kComplete;
    progress.outcome = AgendaOutcome::kFailed;
    for (auto& operation : progress.operations) {
      operation.state =
          operation.operation == "c" ? OperationState::kFailed : OperationState::kSucceeded;
      if (operation.state == OperationState::kSucceeded)
        operation.result_payload = Json{{"by", operation.operation}};
      operation.attempt_count = 1;
    }
    ASSERT_TRUE(service_->complete(id_, taken.epoch, agenda_progress_to_json(progress)));
    ASSERT_EQ((*service_->progress(id_))["processingStateMessage"], "failed");
  }

  // Operation name -> state message after a rerun with `body`.
  std::map<std::string, std::string> rerun(const char* body) {
    auto request = rerun_request_from_json(Json::parse(body));
    EXPECT_TRUE(request.has_value()) << request.error().message;
    auto progress = service_->rerun(id_, *request);
    EXPECT_TRUE(progress.has_value()) << progress.error().message;
    std::map<std::string, std::string> states;
    if (!progress) return states;
    EXPECT_EQ((*progress)["processingState"], "WAITING");
    EXPECT_EQ((*progress)["attemptsCompleted"], 0) << "a rerun starts with fresh retries";
    for (const auto& operation : (*progress)["operationProgress"])
      states[operation["operation"]] = operation["processingStateMessage"];
    return states;
  }

  using States = std::map<std::string, std::string>;
  std::string id_;
};

TEST_F(RerunTest, ResetAllRunsEverythingAgain) {
  EXPECT_EQ(rerun("{}"),
            (States{{"a", "pending"}, {"b", "pending"}, {"c", "pending"}, {"d", "pending"}}));
  auto again = pull();
  ASSERT_EQ(again.size(), 1u) << "a rerun is queued";
  EXPECT_EQ(again[0].progress["operationProgress"][0]["resultPayload"], nullptr);
}

TEST_F(RerunTest, ContinueKeepsWhatSucceeded) {
  EXPECT_EQ(rerun(R"({"continue": true})"),
            (States{{"a", "succeeded"}, {"b", "succeeded"}, {"c", "pending"}, {"d", "succeeded"}}));
  auto again = pull();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].progress["operationProgress"][1]["resultPayload"], (Json{{"by", "b"}}));
}

TEST_F(RerunTest, OperationsToResetTakeTheirDependantsAlong) {
  EXPECT_EQ(rerun(R"({"operationsToReset": "b"})"),
            (States{{"a", "succeeded"}, {"b", "pending"}, {"c", "pending"}, {"d", "succeeded"}}));
  finish();
  EXPECT_EQ(rerun(R"({"params": ["operationsToReset=A, d"]})"),
            (States{{"a", "pending"}, {"b", "pending"}, {"c", "pending"}, {"d", "pending"}}));
}

TEST_F(RerunTest, SkipExecutionHoldsTheAgendaAcrossARestartUntilRerunAgain) {
  EXPECT_EQ(rerun(R"({"resetAll": true, "skipExecution": true})").at("a"), "pending");
  EXPECT_EQ((*service_->progress(id_))["processingStateMessage"], "held");
  EXPECT_TRUE(pull().empty()) << "a held agenda must not be handed out";
  open();
  EXPECT_TRUE(pull().empty()) << "a restart must not queue a held agenda";
  EXPECT_EQ((*service_->explain(id_))["processingStateMessage"], "held");
  rerun(R"({"continue": true})");
  EXPECT_EQ(pull().size(), 1u);
}

TEST_F(RerunTest, RefusesAgendasThatHaveNotCompletedAndUnknownOperations) {
  rerun("{}");
  auto request = rerun_request_from_json(Json::object());
  auto waiting = service_->rerun(id_, *request);
  ASSERT_FALSE(waiting.has_value());
  EXPECT_EQ(waiting.error().code, ErrorCode::kConflict);
  auto taken = pull();
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(service_->rerun(id_, *request).error().code, ErrorCode::kConflict);
  finish_from(taken[0]);
  auto unknown = rerun_request_from_json(Json::parse(R"({"operationsToReset": "zz"})"));
  ASSERT_TRUE(unknown.has_value());
  auto refused = service_->rerun(id_, *unknown);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("\"zz\""), std::string::npos) << refused.error().message;
  EXPECT_EQ(service_->rerun("nope", *request).error().code, ErrorCode::kNotFound);
}

TEST_F(AgendaServiceTest, DoNotRunStoresTheAgendaHeld) {
  const std::string id =
      submit(R"({"params": {"doNotRun": true}, "operations": [{"name": "a", "type": "sample"}]})");
  EXPECT_EQ((*service_->progress(id))["processingStateMessage"], "held");
  EXPECT_TRUE(pull().empty());
  ASSERT_TRUE(service_->rerun(id, RerunRequest{}).has_value());
  EXPECT_EQ(pull().size(), 1u);
}

// "type" or "type operation state" of each event published after `after`.
std::vector<std::string> published(const EventJournal& journal, std::uint64_t after = 0) {
  std::vector<std::string> told;
  for (const auto& entry : journal.read_after(after, 1000).entries) {
    std::string line(event_type_name(entry->event.type));
    if (entry->event.type == EventType::kOperation)
      line += " " + entry->event.data.value("operation", "") + " " +
              entry->event.data.value("state", "");
    told.push_back(line);
  }
  return told;
}

TEST_F(AgendaServiceTest, PublishesAcceptedChangesOnlyWithTheOperationsThatChanged) {
  const std::string id = submit();
  auto leased = pull();
  ASSERT_EQ(leased.size(), 1u);
  ASSERT_TRUE(service_->report(
      id, leased[0].epoch,
      executor_progress(leased[0], ProcessingState::kExecuting, AgendaOutcome::kNone)));
  EXPECT_EQ(published(journal_), (std::vector<std::string>{"agenda.submitted", "agenda.leased",
                                                           "operation.state a succeeded"}));
  const auto& first = journal_.read_after(0, 1).entries.front()->event;
  EXPECT_EQ(first.agenda.customer_id, "acme");
  EXPECT_EQ(first.agenda.resource_pool_id, "default");
  // A report the store refuses (a lease that moved on) publishes nothing.
  const std::uint64_t before = journal_.last_sequence();
  EXPECT_FALSE(service_->report(
      id, leased[0].epoch + 1,
      executor_progress(leased[0], ProcessingState::kComplete, AgendaOutcome::kFailed)));
  EXPECT_EQ(journal_.last_sequence(), before);
  // A failure with attempts left: only b changed since the last report, then it waits again.
  ASSERT_TRUE(service_->complete(
      id, leased[0].epoch,
      executor_progress(leased[0], ProcessingState::kComplete, AgendaOutcome::kFailed)));
  EXPECT_EQ(published(journal_, before),
            (std::vector<std::string>{"operation.state b failed", "agenda.requeued"}));
}

}  // namespace
}  // namespace pop::service
