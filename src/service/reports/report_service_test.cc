// The report service against a real SQLite store, with leases made by the agenda service.
#include "service/reports/report_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "scheduler/queues/insight_queues.h"
#include "service/agendas/agenda_service.h"
#include "service/reports/report_secret.h"
#include "store/sqlite/sqlite_store.h"
#include "util/temp_dir.h"

namespace pop::service {
using Json = nlohmann::json;

namespace {

using namespace std::chrono_literals;

class ReportServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("pop-report-test-");
    ASSERT_TRUE(dir.has_value());
    dir_.emplace(std::move(*dir));
    open();
  }

  // (Re)opens store and services on the same data directory, as a restarted server does.
  void open() {
    reports_.reset();
    service_.reset();
    queues_.reset();
    store_.reset();
    store::sqlite::SqliteStoreOptions options;
    options.data_directory = dir_->path();
    auto store = store::sqlite::SqliteStore::open(options);
    ASSERT_TRUE(store.has_value()) << store.error().message;
    store_ = std::move(*store);
    queues_ = std::make_unique<scheduler::InsightQueues>();
    service_ = std::make_unique<AgendaService>(
        *store_, *queues_, [](std::string_view type) { return type == "sample"; }, clock_,
        ServiceOptions{});
    ASSERT_TRUE(service_->start().has_value());
    auto secret = load_or_create_report_secret(*store_, clock_.now());
    ASSERT_TRUE(secret.has_value()) << secret.error().message;
    reports_ = std::make_unique<ReportService>(*store_, *secret, clock_);
  }

  // A submitted agenda leased to a puller: its id and epoch.
  std::pair<std::string, std::uint64_t> leased_agenda() {
    auto submitted = service_->submit(
        {.customer_id = "acme",
         .document = Json::parse(R"({"operations": [{"name": "a", "type": "sample"},
                                    {"name": "b", "type": "sample"}]})")});
    EXPECT_TRUE(submitted.has_value());
    auto pulled = service_->pull("default", "puller-1", 1);
    EXPECT_TRUE(pulled.has_value() && pulled->size() == 1u);
    if (!pulled || pulled->empty()) return {"", 0};
    return {(*pulled)[0].agenda["id"].get<std::string>(), (*pulled)[0].epoch};
  }

  static HandlerReport output_report(Json output) {
    HandlerReport report;
    report.output = std::move(output);
    return report;
  }

  std::size_t stored_outputs() {
    auto page =
        store_->list_documents({store::DocumentKind::kReportedOutput, std::nullopt, "", 100});
    EXPECT_TRUE(page.has_value());
    return page ? page->items.size() : 0;
  }

  std::optional<TempDir> dir_;
  Clock& clock_ = system_clock();
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<scheduler::InsightQueues> queues_;
  std::unique_ptr<AgendaService> service_;
  std::unique_ptr<ReportService> reports_;
};

TEST_F(ReportServiceTest, TokensOfALeaseVerify) {
  auto [id, epoch] = leased_agenda();
  const ReportClaims claims{id, epoch, "a", 1};
  const std::string token = mint_report_token(reports_->lease_key(id, epoch), claims);
  EXPECT_EQ(reports_->verify(token), claims);
  EXPECT_FALSE(reports_->verify(mint_report_token(reports_->lease_key(id, epoch + 1), claims)));
}

TEST_F(ReportServiceTest, AnAcceptedOutputSurvivesARestart) {
  auto [id, epoch] = leased_agenda();
  const Json big = {{"frames", std::string(100000, 'x')}};
  ASSERT_TRUE(reports_->accept({id, epoch, "a", 1}, output_report(big)).has_value());
  open();  // the lease is still held after the restart
  auto output = reports_->output(id, epoch, "a", 1);
  ASSERT_TRUE(output.has_value()) << output.error().message;
  ASSERT_TRUE(output->has_value());
  EXPECT_EQ(**output, big);
  // Another attempt, or another operation, reported nothing.
  auto other_attempt = reports_->output(id, epoch, "a", 2);
  ASSERT_TRUE(other_attempt.has_value());
  EXPECT_FALSE(other_attempt->has_value());
  auto other_operation = reports_->output(id, epoch, "b", 1);
  ASSERT_TRUE(other_operation.has_value());
  EXPECT_FALSE(other_operation->has_value());
}

TEST_F(ReportServiceTest, TheLatestOutputOfAnAttemptWins) {
  auto [id, epoch] = leased_agenda();
  ASSERT_TRUE(reports_->accept({id, epoch, "a", 1}, output_report(1)).has_value());
  ASSERT_TRUE(reports_->accept({id, epoch, "a", 1}, output_report(Json::array({2}))).has_value());
  auto output = reports_->output(id, epoch, "a", 1);
  ASSERT_TRUE(output.has_value() && output->has_value());
  EXPECT_EQ(**output, Json::array({2}));
}

// A handler posting outputs from several threads races only itself: none of its reports
// may be refused (a 409 would tell it its lease is gone).
TEST_F(ReportServiceTest, ConcurrentOutputsOfOneAttemptAreAllTaken) {
  auto [id, epoch] = leased_agenda();
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        if (!reports_->accept({id, epoch, "a", 1}, output_report(t * 100 + i))) ++refused;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(refused.load(), 0);
  auto output = reports_->output(id, epoch, "a", 1);
  ASSERT_TRUE(output.has_value() && output->has_value());
  EXPECT_EQ((**output).get<int>() % 100, 24);  // some thread's last report
}

TEST_F(ReportServiceTest, AReportUnderALostLeaseIsRefusedAndStoresNothing) {
  auto [id, epoch] = leased_agenda();
  ASSERT_TRUE(service_->cancel(id).has_value());  // takes the lease away
  HandlerReport report = output_report({{"late", true}});
  report.percent_complete = 50;
  auto accepted = reports_->accept({id, epoch, "a", 1}, report);
  ASSERT_FALSE(accepted.has_value());
  EXPECT_EQ(accepted.error().code, ErrorCode::kConflict);
  EXPECT_EQ(stored_outputs(), 0u);
  // The puller's reads are fenced the same way.
  auto progress = reports_->progress_since(id, epoch, 0);
  ASSERT_FALSE(progress.has_value());
  EXPECT_EQ(progress.error().code, ErrorCode::kConflict);
  auto output = reports_->output(id, epoch, "a", 1);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().code, ErrorCode::kConflict);
  // A report for an agenda that does not exist is one more lost lease to a handler.
  auto unknown = reports_->accept({"no-such-agenda", 1, "a", 1}, report);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kConflict);
  EXPECT_EQ(reports_->progress_since("no-such-agenda", 1, 0).error().code, ErrorCode::kNotFound);
}

TEST_F(ReportServiceTest, ProgressIsMergedPerAttemptAndReadAfterACursor) {
  auto [id, epoch] = leased_agenda();
  HandlerReport percent;
  percent.percent_complete = 10;
  ASSERT_TRUE(reports_->accept({id, epoch, "a", 1}, percent).has_value());
  auto first = reports_->progress_since(id, epoch, 0);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->attempts.size(), 1u);
  EXPECT_EQ(first->attempts[0].operation, "a");
  EXPECT_EQ(first->attempts[0].percent_complete, 10);
  EXPECT_FALSE(first->attempts[0].message.has_value());

  HandlerReport message;
  message.message = "pass 1 of 2";
  ASSERT_TRUE(reports_->accept({id, epoch, "a", 1}, message).has_value());
  ASSERT_TRUE(reports_->accept({id, epoch, "b", 1}, percent).has_value());
  auto second = reports_->progress_since(id, epoch, first->cursor);
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ(second->attempts.size(), 2u);
  EXPECT_EQ(second->attempts[0].operation, "a");
  EXPECT_EQ(second->attempts[0].percent_complete, 10);  // kept from the earlier report
  EXPECT_EQ(second->attempts[0].message, "pass 1 of 2");
  EXPECT_EQ(second->attempts[1].operation, "b");

  auto nothing_new = reports_->progress_since(id, epoch, second->cursor);
  ASSERT_TRUE(nothing_new.has_value());
  EXPECT_TRUE(nothing_new->attempts.empty());
  EXPECT_EQ(nothing_new->cursor, second->cursor);
  // An output alone is not progress.
  ASSERT_TRUE(reports_->accept({id, epoch, "a", 1}, output_report(3)).has_value());
  EXPECT_TRUE(reports_->progress_since(id, epoch, second->cursor)->attempts.empty());
}

TEST_F(ReportServiceTest, SweepForgetsWhatEndedLeasesReported) {
  auto [ended, ended_epoch] = leased_agenda();
  auto [held, held_epoch] = leased_agenda();
  HandlerReport report = output_report("out");
  report.percent_complete = 30;
  ASSERT_TRUE(reports_->accept({ended, ended_epoch, "a", 1}, report).has_value());
  ASSERT_TRUE(reports_->accept({held, held_epoch, "a", 1}, report).has_value());
  ASSERT_TRUE(service_->cancel(ended).has_value());
  auto swept = reports_->sweep();
  ASSERT_TRUE(swept.has_value()) << swept.error().message;
  EXPECT_EQ(*swept, 1u);
  EXPECT_EQ(stored_outputs(), 1u);
  auto kept = reports_->output(held, held_epoch, "a", 1);
  ASSERT_TRUE(kept.has_value() && kept->has_value());
  EXPECT_EQ(**kept, "out");
  EXPECT_EQ(reports_->progress_since(held, held_epoch, 0)->attempts.size(), 1u);
  EXPECT_EQ(*reports_->sweep(), 0u);
}

TEST_F(ReportServiceTest, TheSecretIsCreatedOnceAndKept) {
  auto first = load_or_create_report_secret(*store_, clock_.now());
  auto second = load_or_create_report_secret(*store_, clock_.now());
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(first->size(), kReportSecretBytes);
  EXPECT_EQ(*first, *second);
  auto stored = store_->get_document(store::DocumentKind::kServerSecret, "report-token-key");
  ASSERT_TRUE(stored.has_value());
  store::DocumentRecord damaged = *stored;
  damaged.document["key"] = "short";
  ASSERT_TRUE(store_->update_document(damaged, stored->version).has_value());
  auto refused = load_or_create_report_secret(*store_, clock_.now());
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kInternal);
}

TEST(HandlerReportBody, AcceptsEachFieldAlone) {
  auto percent = parse_handler_report(R"({"percentComplete": 40})");
  ASSERT_TRUE(percent.has_value());
  EXPECT_EQ(percent->percent_complete, 40);
  EXPECT_FALSE(percent->output.has_value());
  auto output = parse_handler_report(R"({"output": null})");
  ASSERT_TRUE(output.has_value());
  ASSERT_TRUE(output->output.has_value());  // a null output is still an output
  EXPECT_TRUE(output->output->is_null());
  auto all =
      parse_handler_report(R"({"percentComplete": 0, "message": "m", "output": {"a": [1]}})");
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->message, "m");
  EXPECT_EQ(*all->output, Json::parse(R"({"a": [1]})"));
}

TEST(HandlerReportBody, RefusesWhatIsNotAReport) {
  struct Case {
    std::string body;
    ErrorCode code;
    std::string says;
  };
  const std::string deep = std::string(200, '[') + std::string(200, ']');
  for (const Case& bad : std::vector<Case>{
           {"{}", ErrorCode::kInvalidArgument, "at least one of"},
           {"[]", ErrorCode::kInvalidArgument, "must be an object"},
           {"{", ErrorCode::kInvalidArgument, "invalid JSON"},
           {R"({"percentComplete": 101})", ErrorCode::kInvalidArgument, "percentComplete"},
           {R"({"percentComplete": -1})", ErrorCode::kInvalidArgument, "percentComplete"},
           {R"({"percentComplete": "50"})", ErrorCode::kInvalidArgument, "percentComplete"},
           {R"({"message": 5})", ErrorCode::kInvalidArgument, "message must be a string"},
           {R"({"percent": 5})", ErrorCode::kInvalidArgument, "unknown field \"percent\""},
           {R"({"message": ")" + std::string(5000, 'm') + "\"}", ErrorCode::kTooLarge, "4096"},
           {R"({"output": ")" + std::string(1u << 20, 'o') + "\"}", ErrorCode::kTooLarge,
            "output is"},
           {R"({"output": )" + deep + "}", ErrorCode::kTooLarge, ""},
       }) {
    auto parsed = parse_handler_report(bad.body);
    ASSERT_FALSE(parsed.has_value()) << bad.body.substr(0, 60);
    EXPECT_EQ(parsed.error().code, bad.code) << bad.body.substr(0, 60);
    EXPECT_NE(parsed.error().message.find(bad.says), std::string::npos) << parsed.error().message;
  }
}

}  // namespace
}  // namespace pop::service
