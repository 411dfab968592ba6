// The agenda lifecycle against a real SQLite store and a fake clock.
#include "service/agenda_service.h"

#include <gtest/gtest.h>

#include "engine/progress.h"
#include "store/sqlite/sqlite_store.h"
#include "util/temp_dir.h"

namespace pop::service {
namespace {

using namespace std::chrono_literals;

const char* kDiamond = R"({"operations": [
  {"name": "a", "type": "sample"}, {"name": "b", "type": "sample", "payload": "@<a.out>"}]})";

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
    store_.reset();
    store::sqlite::SqliteStoreOptions store_options;
    store_options.data_directory = dir_->path();
    auto store = store::sqlite::SqliteStore::open(store_options);
    ASSERT_TRUE(store.has_value()) << store.error().message;
    store_ = std::move(*store);
    queues_ = std::make_unique<InsightQueues>();
    ServiceOptions options;
    options.lease_duration = 10s;
    service_ = std::make_unique<AgendaService>(
        *store_, *queues_, [](std::string_view type) { return type == "sample"; },
        [this] { return now_; }, options);
    auto started = service_->start();
    ASSERT_TRUE(started.has_value()) << started.error().message;
  }

  std::string submit(const std::string& body = kDiamond, const std::string& key = "") {
    auto submitted = service_->submit({"acme", body, key});
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
  WallTime now_{std::chrono::milliseconds(1795852800000)};
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<InsightQueues> queues_;
  std::unique_ptr<AgendaService> service_;
};

TEST_F(AgendaServiceTest, SubmitStoresBindsAndQueues) {
  auto submitted = service_->submit({"acme", kDiamond, ""});
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
  auto again = service_->submit({"acme", kDiamond, "key-1"});
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->agenda["id"], first);
  EXPECT_EQ(pull().size(), 1u);
}

TEST_F(AgendaServiceTest, InvalidAgendaIsRejectedAndNothingStored) {
  auto rejected =
      service_->submit({"acme", R"({"operations": [{"name": "a", "type": "nope"}]})", ""});
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

  now_ += 11s;  // the puller went silent past its lease
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
  const WallTime t = now_;
  ASSERT_TRUE(store_->create_document({store::DocumentKind::kCustomer, "acme", "", 0, t, t,
                                       Json{{"id", "acme"}, {"resourcePoolId", "gpu"}}}));
  ASSERT_TRUE(store_->create_document(
      {store::DocumentKind::kInsight, "gpu-encode", "", 0, t, t,
       Json::parse(R"({"id": "gpu-encode", "resourcePoolId": "gpu", "isGlobal": true,
                       "mappers": {"operationType": ["sample"]}})")}));
  open();
  auto submitted = service_->submit({"acme", kDiamond, ""});
  ASSERT_TRUE(submitted.has_value()) << submitted.error().message;
  EXPECT_EQ(submitted->agenda["agendaInsight"]["insightId"], "gpu-encode");
  EXPECT_TRUE(pull().empty()) << "the default pool's puller must not get another pool's work";
  auto gpu = service_->pull("gpu", "gpu-puller", 5);
  ASSERT_TRUE(gpu.has_value());
  EXPECT_EQ(gpu->size(), 1u);
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

}  // namespace
}  // namespace pop::service
