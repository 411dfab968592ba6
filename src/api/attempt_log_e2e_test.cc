// End to end: every attempt's output is kept by the server and can be read and followed
// (docs/observability.md, "Attempt logs"). A real server with its embedded puller and the
// local runner runs shell handlers; the logs are read back through the API as a user would.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "server/server_fixture.h"
#include "util/base64url.h"

namespace pop::api {
using Json = nlohmann::json;

namespace {

class AttemptLogE2eTest : public pop::server::ServerFixture {
 protected:
  void configure(server::ServerConfig& config) override {
    // Heartbeats, which ship what running handlers wrote, every second.
    config.lease_duration = std::chrono::seconds(3);
    config.attempt_logs.limit_bytes = kCap;
    const std::string dir = dir_->path().string();
    ASSERT_TRUE(config.registry
                    .merge_json(Json::parse(R"({"handlers": {
      "lines": {"command": ["/bin/sh", "-c", "echo one; echo two >&2; echo three"]},
      "flaky": {"command": ["/bin/sh", "-c", "echo \"attempt $POP_ATTEMPT\"; [ \"$POP_ATTEMPT\" -ge 2 ]"],
                "maximumAttempts": 2, "retryBackoffSeconds": 0},
      "gated": {"command": ["/bin/sh", "-c", "echo before; while [ ! -e \"$DIR/go\" ]; do sleep 0.02; done; echo after"],
                "env": {"DIR": ")" + dir + R"("}},
      "flood": {"command": ["/bin/sh", "-c", "head -c 3000000 /dev/zero | tr '\\000' x; echo; echo done"]}
    }})"),
                                "test")
                    .has_value());
  }

  std::string submit(const std::string& type, const std::string& customer = "") {
    Json agenda = {{"operations", {{{"name", "Work"}, {"type", type}}}}};
    if (!customer.empty()) agenda["customerId"] = customer;
    auto submitted = call("POST", "/v1/agendas", agenda.dump());
    EXPECT_EQ(submitted.status, 201) << submitted.body;
    return Json::parse(submitted.body, nullptr, false).value("id", "");
  }

  static std::string logs_path(const std::string& id, const std::string& query = "") {
    return "/v1/agendas/" + id + "/operations/work/logs" + query;
  }

  static constexpr std::uint64_t kCap = 100000;
};

TEST_F(AttemptLogE2eTest, ASuccessfulAttemptsWholeOutputIsKeptInOrder) {
  const std::string id = submit("lines");
  EXPECT_EQ(wait_for_outcome(id).value("processingStateMessage", ""), "succeeded");
  auto log = call("GET", logs_path(id));
  EXPECT_EQ(log.status, 200) << log.body;
  EXPECT_EQ(log.body, "one\ntwo\nthree\n");
  EXPECT_EQ(log.headers["Content-Type"], "text/plain; charset=utf-8");
}

TEST_F(AttemptLogE2eTest, EachAttemptKeepsItsOwnLogAndTheLatestIsTheDefault) {
  const std::string id = submit("flaky");
  EXPECT_EQ(wait_for_outcome(id).value("processingStateMessage", ""), "succeeded");
  EXPECT_EQ(call("GET", logs_path(id, "?attempt=1")).body, "attempt 1\n");
  EXPECT_EQ(call("GET", logs_path(id, "?attempt=2")).body, "attempt 2\n");
  EXPECT_EQ(call("GET", logs_path(id)).body, "attempt 2\n");

  auto missing = call("GET", logs_path(id, "?attempt=3"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("no stored log of attempt 3"), std::string::npos) << missing.body;
  auto unknown = call("GET", "/v1/agendas/" + id + "/operations/nope/logs");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("no operation \\\"nope\\\""), std::string::npos) << unknown.body;
  EXPECT_EQ(call("GET", logs_path(id, "?attempt=0")).status, 400);
}

TEST_F(AttemptLogE2eTest, AFollowerSeesOutputWhileTheHandlerRunsAndEndsWithIt) {
  const std::string id = submit("gated");
  // The log exists from the attempt's first heartbeat on.
  pop::testing::eventually([&] { return call("GET", logs_path(id)).status == 200; },
                           std::chrono::seconds(30));
  http_client::Request request;
  request.target = logs_path(id, "?follow=true");
  std::string followed;
  bool running_when_seen = false;
  auto follower = client();
  auto answer = follower.stream(request, [&](std::string_view chunk) {
    followed += chunk;
    if (followed.find("before\n") != std::string::npos && !running_when_seen) {
      // Still blocked on the file: what arrived was shipped live.
      const Json progress = Json::parse(call("GET", "/v1/agendas/" + id + "/progress").body);
      running_when_seen = progress.value("processingState", "") == "EXECUTING";
      std::ofstream(dir_->path() / "go").put('\n');
    }
    return true;
  });
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_EQ(answer->status, 200);
  EXPECT_TRUE(running_when_seen);
  EXPECT_EQ(followed, "before\nafter\n");
  EXPECT_EQ(wait_for_outcome(id).value("processingStateMessage", ""), "succeeded");
}

TEST_F(AttemptLogE2eTest, OutputPastTheCapIsCountedNotKeptAndSaysSo) {
  const std::string id = submit("flood");
  EXPECT_EQ(wait_for_outcome(id).value("processingStateMessage", ""), "succeeded");
  auto log = call("GET", logs_path(id));
  ASSERT_EQ(log.status, 200);
  EXPECT_EQ(log.body.substr(0, kCap), std::string(kCap, 'x'));
  EXPECT_EQ(log.body.substr(kCap), "\n[pop: log truncated after 100000 bytes]\n");
}

TEST_F(AttemptLogE2eTest, AMemberReadsOnlyItsOwnCustomersLogs) {
  for (const std::string customer : {"cust-a", "cust-b"}) {
    EXPECT_EQ(
        call("POST", "/v1/customers", Json{{"id", customer}, {"resourcePoolId", "default"}}.dump())
            .status,
        201);
  }
  auto issued =
      call("POST", "/v1/tokens", Json{{"role", "member"}, {"customerIds", {"cust-b"}}}.dump());
  ASSERT_EQ(issued.status, 201) << issued.body;
  auto member_b = client(Json::parse(issued.body).value("token", ""));
  const std::string a = submit("lines", "cust-a");
  const std::string b = submit("lines", "cust-b");
  wait_for_outcome(a);
  wait_for_outcome(b);
  auto own = member_b.request("GET", logs_path(b));
  ASSERT_TRUE(own.has_value());
  EXPECT_EQ(own->status, 200);
  auto other = member_b.request("GET", logs_path(a));
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->status, 404);
  EXPECT_EQ(other->body.find("one"), std::string::npos);
  auto followed = member_b.request("GET", logs_path(a, "?follow=true"));
  ASSERT_TRUE(followed.has_value());
  EXPECT_EQ(followed->status, 404);
}

// The puller's side of the protocol, with no embedded puller: chunks land where the copy ends,
// so a retry after a lost answer stores nothing twice, and only the lease's holder writes.
class AttemptLogChunkE2eTest : public pop::server::ServerFixture {
 protected:
  void configure(server::ServerConfig& config) override {
    config.embedded_puller.reset();
    config.lease_duration = std::chrono::minutes(10);
  }

  struct Lease {
    std::string agenda_id;
    std::uint64_t epoch = 0;
    std::string key;
  };

  Lease submit_and_pull(const std::string& token) {
    auto submitted =
        call("POST", "/v1/agendas", R"({"operations": [{"name": "work", "type": "sample"}]})");
    EXPECT_EQ(submitted.status, 201);
    auto answer =
        client(token).request("POST", "/v1/pools/default/pull",
                              Json{{"pullerId", "p"}, {"max", 1}, {"waitSeconds", 5}}.dump());
    EXPECT_TRUE(answer && answer->status == 200);
    const Json agenda = Json::parse(answer->body).at("agendas").at(0);
    return {agenda["agenda"].value("id", ""), agenda.value("epoch", std::uint64_t{0}),
            agenda.value("reportKey", "")};
  }

  http_client::Response put_chunk(const std::string& token, const Lease& lease,
                                  std::uint64_t offset, const std::string& bytes,
                                  const std::string& key, bool end = false,
                                  const std::string& operation_and_attempt = "work/1") {
    auto answer = client(token).request(
        "PUT",
        "/v1/agendas/" + lease.agenda_id + "/leases/" + std::to_string(lease.epoch) + "/logs/" +
            operation_and_attempt + "?offset=" + std::to_string(offset) + (end ? "&end=true" : ""),
        bytes, {{"Pop-Lease-Key", key}, {"Content-Type", "application/octet-stream"}});
    EXPECT_TRUE(answer.has_value());
    return answer ? *answer : http_client::Response{};
  }
};

TEST_F(AttemptLogChunkE2eTest, ARetriedChunkIsStoredOnceAndOnlyTheHolderWrites) {
  const std::string token = puller_token("default");
  const Lease lease = submit_and_pull(token);
  auto first = put_chunk(token, lease, 0, "hello\n", lease.key);
  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(Json::parse(first.body).value("length", 0), 6);
  // The answer was lost; the puller sends the same chunk again, then goes on from the length.
  auto again = put_chunk(token, lease, 0, "hello\n", lease.key);
  EXPECT_EQ(Json::parse(again.body).value("length", 0), 6);
  EXPECT_EQ(put_chunk(token, lease, 6, "world\n", lease.key, true).status, 200);
  EXPECT_EQ(call("GET", "/v1/agendas/" + lease.agenda_id + "/operations/work/logs").body,
            "hello\nworld\n");

  EXPECT_EQ(put_chunk(token, lease, 12, "forged\n", base64url_encode("not the key")).status, 409);
  Lease stale = lease;
  stale.epoch += 1;
  EXPECT_EQ(put_chunk(token, stale, 12, "stale\n", lease.key).status, 409);
  EXPECT_EQ(call("GET", "/v1/agendas/" + lease.agenda_id + "/operations/work/logs").body,
            "hello\nworld\n");
}

// A holder writes only what its agenda could produce: logs of its operations, and no more
// attempts than an operation may make. Without the check a holder could fill the store with
// logs of made-up operations and attempts, each up to the cap.
TEST_F(AttemptLogChunkE2eTest, AHolderWritesOnlyItsAgendasOperationsAndAttempts) {
  const std::string token = puller_token("default");
  const Lease lease = submit_and_pull(token);
  auto made_up = put_chunk(token, lease, 0, "x\n", lease.key, false, "made-up/1");
  EXPECT_EQ(made_up.status, 404) << made_up.body;
  EXPECT_NE(made_up.body.find("made-up"), std::string::npos) << made_up.body;
  auto too_many = put_chunk(token, lease, 0, "x\n", lease.key, false, "work/101");
  EXPECT_EQ(too_many.status, 400) << too_many.body;
  EXPECT_EQ(put_chunk(token, lease, 0, "last\n", lease.key, false, "work/100").status, 200);
  EXPECT_EQ(call("GET", "/v1/agendas/" + lease.agenda_id + "/operations/made-up/logs").status, 404);
}

}  // namespace
}  // namespace pop::api
