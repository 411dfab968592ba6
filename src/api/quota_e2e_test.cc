// Customer quotas against a real server: a submit beyond maxWaitingAgendas is refused with
// 429, Retry-After and a message naming the quota, and succeeds once a puller drains the
// queue; maxRunningAgendas caps how many of a customer's agendas execute at once.
#include <gtest/gtest.h>

#include "server/server_fixture.h"

namespace pop::api {
using Json = nlohmann::json;

namespace {

using namespace std::chrono_literals;

class QuotaTest : public pop::server::ServerFixture {
 protected:
  void configure(server::ServerConfig& config) override { config.embedded_puller.reset(); }

  // A member token for the customer `acme`, created with `quotas`.
  std::string acme_member(const Json& quotas) {
    Json customer = {{"id", "acme"}, {"title", "Acme"}};
    customer.update(quotas);
    EXPECT_EQ(call("POST", "/v1/customers", customer.dump()).status, 201);
    auto issued =
        call("POST", "/v1/tokens", Json{{"role", "member"}, {"customerIds", {"acme"}}}.dump());
    EXPECT_EQ(issued.status, 201) << issued.body;
    return Json::parse(issued.body).value("token", "");
  }

  http_client::Response submit_as(const std::string& token, const std::string& agenda) {
    auto as_caller = client(token);
    auto response =
        as_caller.request("POST", "/v1/agendas", agenda, {{"Content-Type", "application/json"}});
    EXPECT_TRUE(response.has_value());
    return response ? *response : http_client::Response{};
  }

  pop::testing::Subprocess start_puller(int capacity) {
    return pop::testing::Subprocess(
        {POP_BINARY, "puller", "--server", base_url_, "--capacity", std::to_string(capacity),
         "--report-seconds", "0.2", "--token", puller_token("default")},
        {{"TMPDIR", dir_->path().string()}}, dir_->path().string());
  }
};

constexpr const char* kQuick = R"({"operations": [{"name": "a", "type": "sample"}]})";

TEST_F(QuotaTest, SubmitsPastTheWaitingQuotaGet429UntilWorkDrains) {
  const std::string member = acme_member({{"maxWaitingAgendas", 2}});
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    auto accepted = submit_as(member, kQuick);
    ASSERT_EQ(accepted.status, 201) << accepted.body;
    ids.push_back(Json::parse(accepted.body)["id"]);
  }
  auto refused = submit_as(member, kQuick);
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.header("Retry-After"), "5");
  const Json error = Json::parse(refused.body)["error"];
  EXPECT_EQ(error["code"], "resource_exhausted");
  EXPECT_EQ(error["message"],
            "customer \"acme\" has 2 agendas waiting, its quota maxWaitingAgendas is 2");
  // Another customer's queue is its own.
  EXPECT_EQ(call("POST", "/v1/agendas", kQuick).status, 201);

  auto puller = start_puller(2);
  for (const std::string& id : ids)
    EXPECT_EQ(wait_for_outcome(id)["processingStateMessage"], "succeeded");
  auto accepted = submit_as(member, kQuick);
  EXPECT_EQ(accepted.status, 201) << accepted.body;
  EXPECT_EQ(wait_for_outcome(Json::parse(accepted.body)["id"])["processingStateMessage"],
            "succeeded");
  puller.signal(SIGTERM);
  EXPECT_EQ(puller.wait().exit_status, 0);
}

TEST_F(QuotaTest, NoMoreThanMaxRunningAgendasOfACustomerExecuteAtOnce) {
  const std::string member = acme_member({{"maxRunningAgendas", 1}});
  const std::string slow = R"({"operations": [{"name": "a", "type": "sample", "payload":
      {"actions": [{"action": "log", "paramsMap": {"logMessage": "x", "sleepMilliseconds": 400}}]}}]})";
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto accepted = submit_as(member, slow);
    ASSERT_EQ(accepted.status, 201) << accepted.body;
    ids.push_back(Json::parse(accepted.body)["id"]);
  }
  auto puller = start_puller(4);
  std::size_t most = 0;
  ASSERT_TRUE(pop::testing::eventually(
      [&] {
        const Json listed =
            Json::parse(call("GET", "/v1/agendas?customer=acme&state=EXECUTING").body);
        most = std::max(most, listed["items"].size());
        const Json done = Json::parse(call("GET", "/v1/agendas?customer=acme&state=COMPLETE").body);
        return done["items"].size() == ids.size();
      },
      30s));
  EXPECT_EQ(most, 1u) << "more of acme's agendas executed at once than its quota";
  for (const std::string& id : ids)
    EXPECT_EQ(wait_for_outcome(id)["processingStateMessage"], "succeeded");
  puller.signal(SIGTERM);
  EXPECT_EQ(puller.wait().exit_status, 0);
}

}  // namespace
}  // namespace pop::api
