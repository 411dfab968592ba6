// End to end: one insight per scheduling algorithm in the server, each admission
// taken by a pull over HTTP, and each algorithm's ordering property checked on what the
// pulls hand out. The insights and customers are written to the store before the server
// starts, as an operator's configuration would be.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "server/server_fixture.h"
#include "store/sqlite/sqlite_store.h"

namespace pop::api {
using Json = nlohmann::json;

namespace {

using namespace std::chrono_literals;

const std::map<std::string, double> kWeights = {{"alice", 1}, {"bob", 2}, {"carol", 5}};

class SchedulingTest : public pop::server::ServerFixture {
 protected:
  void configure(server::ServerConfig& config) override { config.embedded_puller.reset(); }
  void before_start() override { seed_configuration(); }

  void seed_configuration() {
    store::sqlite::SqliteStoreOptions options;
    options.data_directory = data_dir();
    auto store = store::sqlite::SqliteStore::open(options);
    ASSERT_TRUE(store.has_value()) << store.error().message;
    const WallTime now = std::chrono::system_clock::now();
    auto create = [&](store::DocumentKind kind, const std::string& id, Json document) {
      document["id"] = id;
      ASSERT_TRUE((*store)->create_document({kind, id, "", 0, now, now, document}));
    };
    for (const auto& [customer, weight] : kWeights)
      create(store::DocumentKind::kCustomer, customer, {{"weight", weight}});
    // Queue depth 1: each pull makes the algorithm choose exactly one more agenda.
    const std::pair<const char*, Json> insights[] = {
        {"fifo", {{"schedulingAlgorithm", "fifo"}}},
        {"rr", {{"schedulingAlgorithm", "roundRobin"}}},
        {"wf", {{"schedulingAlgorithm", "weightedFair"}}},
        {"prio", {{"schedulingAlgorithm", "priority"}}},
        {"aging",
         {{"schedulingAlgorithm", "priority"}, {"algorithmConfig", {{"agingIntervalSeconds", 1}}}}},
    };
    for (const auto& [id, fields] : insights) {
      Json insight = fields;
      insight["resourcePoolId"] = "default";
      insight["queueSize"] = 1;
      insight["isGlobal"] = true;
      insight["mappers"] = {{"paramMap", {std::string("lane=") + id}}};
      create(store::DocumentKind::kInsight, id, insight);
    }
  }

  // Submits a one-operation agenda for `customer` into insight `lane`; returns its id.
  std::string submit(const std::string& lane, const std::string& customer, int priority = 0) {
    const Json agenda = {{"customerId", customer},
                         {"priority", priority},
                         {"params", {{"lane", lane}}},
                         {"operations", {{{"name", "a"}, {"type", "sample"}}}}};
    auto response = client_->request("POST", "/v1/agendas", agenda.dump());
    EXPECT_TRUE(response.has_value());
    if (!response) return "";
    EXPECT_EQ(response->status, 201) << response->body;
    const Json stored = Json::parse(response->body);
    EXPECT_EQ(stored["agendaInsight"]["insightId"], lane);
    return stored.value("id", "");
  }

  // The next admitted agenda: {id, customerId, priority}; null when none is ready.
  Json pull_one() {
    auto response =
        client_->request("POST", "/v1/pools/default/pull",
                         Json{{"pullerId", "test"}, {"max", 1}, {"waitSeconds", 0}}.dump());
    EXPECT_TRUE(response.has_value());
    if (!response || response->status != 200) {
      ADD_FAILURE() << (response ? response->body : response.error().message);
      return nullptr;
    }
    const Json answer = Json::parse(response->body);
    if (answer["agendas"].empty()) return nullptr;
    const Json& agenda = answer["agendas"][0]["agenda"];
    return {{"id", agenda["id"]},
            {"customerId", agenda["customerId"]},
            {"priority", agenda.value("priority", 0)}};
  }
};

TEST_F(SchedulingTest, FifoAdmitsInSubmitOrder) {
  std::vector<std::string> submitted;
  for (int i = 0; i < 30; ++i) submitted.push_back(submit("fifo", i % 3 ? "alice" : "bob"));
  for (const std::string& id : submitted) EXPECT_EQ(pull_one()["id"], id);
  EXPECT_EQ(pull_one(), nullptr);
}

TEST_F(SchedulingTest, RoundRobinInterleavesCustomers) {
  for (int i = 0; i < 6; ++i) submit("rr", "alice");
  for (int i = 0; i < 3; ++i) submit("rr", "bob");
  for (int i = 0; i < 3; ++i) submit("rr", "carol");
  std::string order;
  for (int i = 0; i < 12; ++i) {
    const Json next = pull_one();
    ASSERT_NE(next, nullptr);
    order += next["customerId"].get<std::string>().substr(0, 1);
  }
  // The first was admitted while it waited alone. Then rounds: one agenda per waiting
  // customer each, in any order within a round, until only alice has work left.
  EXPECT_EQ(order[0], 'a') << order;
  for (std::size_t round = 0; round < 3; ++round) {
    std::string members = order.substr(1 + round * 3, 3);
    std::sort(members.begin(), members.end());
    EXPECT_EQ(members, "abc") << "round " << round + 1 << " of " << order;
  }
  EXPECT_EQ(order.substr(10), "aa") << order;
}

TEST_F(SchedulingTest, WeightedFairSharesStayWithinTheBoundOverAThousandAdmissions) {
  // Enough that every customer stays backlogged through 1,000 admissions (5/8 of them
  // carol's), submitted from three clients at once.
  const std::map<std::string, int> backlog = {{"alice", 160}, {"bob", 300}, {"carol", 700}};
  std::vector<std::thread> submitters;
  for (const auto& [customer, count] : backlog) {
    submitters.emplace_back([this, customer = customer, count = count] {
      auto own = client();
      const Json agenda = {{"customerId", customer},
                           {"params", {{"lane", "wf"}}},
                           {"operations", {{{"name", "a"}, {"type", "sample"}}}}};
      for (int i = 0; i < count; ++i) {
        auto response = own.request("POST", "/v1/agendas", agenda.dump());
        ASSERT_TRUE(response.has_value() && response->status == 201);
      }
    });
  }
  for (auto& thread : submitters) thread.join();
  // The first agenda submitted was admitted while it waited alone; the algorithm chose the
  // rest with every customer backlogged, so the bound is checked on those.
  ASSERT_NE(pull_one(), nullptr);
  std::map<std::string, double> admitted;
  double worst = 0;
  for (int i = 0; i < 1000; ++i) {
    const Json next = pull_one();
    ASSERT_NE(next, nullptr);
    admitted[next["customerId"]] += 1;
    for (const auto& [a, wa] : kWeights) {
      for (const auto& [b, wb] : kWeights) {
        const double gap = std::abs(admitted[a] / wa - admitted[b] / wb);
        const double bound = 1 / wa + 1 / wb;
        worst = std::max(worst, gap / bound);
        ASSERT_LE(gap, bound + 1e-9) << a << " vs " << b << " after " << i + 1 << " admissions";
      }
    }
  }
  std::printf(
      "weightedFair shares of 1000 for weights 1:2:5: %g / %g / %g (worst gap %.2f of "
      "the bound)\n",
      admitted["alice"], admitted["bob"], admitted["carol"], worst);
}

TEST_F(SchedulingTest, PriorityAdmitsHighestFirstFifoWithinALevel) {
  const std::string head = submit("prio", "alice", 0);  // admitted at once: nothing else waits
  std::vector<std::pair<int, std::string>> waiting;
  for (int priority : {1, 5, 3, 5, 0, 3, 9, 1})
    waiting.emplace_back(priority, submit("prio", "bob", priority));
  std::stable_sort(waiting.begin(), waiting.end(),
                   [](const auto& x, const auto& y) { return x.first > y.first; });
  EXPECT_EQ(pull_one()["id"], head);
  for (const auto& [priority, id] : waiting) EXPECT_EQ(pull_one()["id"], id) << priority;
}

TEST_F(SchedulingTest, AgedLowPriorityAgendaIsAdmittedWhileHighPriorityWorkKeepsArriving) {
  submit("aging", "alice", 10);  // fills the ready queue
  const std::string low = submit("aging", "alice", 0);
  // Two high-priority agendas arrive for every admission, so without aging `low` would wait
  // for ever. With one level per second it overtakes those that arrive 3 s after it.
  int overtaken = 0;
  std::set<std::string> waiting_high;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  for (;;) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the low-priority agenda starved";
    waiting_high.insert(submit("aging", "bob", 2));
    waiting_high.insert(submit("aging", "bob", 2));
    const Json next = pull_one();
    ASSERT_NE(next, nullptr);
    if (next["id"] == low) {
      overtaken = static_cast<int>(waiting_high.size());
      break;
    }
    waiting_high.erase(next["id"].get<std::string>());
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GT(overtaken, 0) << "it must have passed high-priority agendas that were waiting";
}

}  // namespace
}  // namespace pop::api
