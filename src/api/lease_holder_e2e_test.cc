// End to end: a lease belongs to whoever pulled it. Two puller tokens of the same pool on a
// server: A pulls an agenda; B (and the admin, and a handler's report token of
// another lease) may not report progress on A's lease nor complete it, nothing changes when
// they try, and the refusal says nothing about the lease (no current epoch, no holder). A's
// own reports, which carry the lease's reportKey, go through.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "model/report_token.h"
#include "server/server_fixture.h"
#include "util/base64url.h"

namespace pop::api {
using Json = nlohmann::json;

namespace {

constexpr char kLeaseKeyHeader[] = "Pop-Lease-Key";

class LeaseHolderE2eTest : public pop::server::ServerFixture {
 protected:
  // Leases outlast the test: nothing is reclaimed under it.
  void configure(server::ServerConfig& config) override {
    config.embedded_puller.reset();
    config.lease_duration = std::chrono::minutes(10);
  }

  struct Lease {
    std::string agenda_id;
    std::uint64_t epoch = 0;
    std::string key;  // the pull answer's reportKey, base64url
    Json progress;
  };

  std::string submit() {
    auto submitted =
        call("POST", "/v1/agendas", R"({"operations": [{"name": "work", "type": "sample"}]})");
    EXPECT_EQ(submitted.status, 201) << submitted.body;
    return Json::parse(submitted.body, nullptr, false).value("id", "");
  }

  Lease pull(const std::string& token, const std::string& puller_id) {
    auto answer = as(token, "POST", "/v1/pools/default/pull",
                     Json{{"pullerId", puller_id}, {"max", 1}, {"waitSeconds", 5}}.dump());
    EXPECT_EQ(answer.status, 200) << answer.body;
    const Json agendas = Json::parse(answer.body, nullptr, false).value("agendas", Json::array());
    if (agendas.size() != 1) {
      ADD_FAILURE() << "pull handed out " << answer.body;
      return {};
    }
    return {agendas[0]["agenda"].value("id", ""), agendas[0].value("epoch", std::uint64_t{0}),
            agendas[0].value("reportKey", ""), agendas[0]["progress"]};
  }

  http_client::Response as(const std::string& token, const std::string& method,
                           const std::string& target, const std::string& body = "",
                           http_client::Headers headers = {}) {
    headers["Authorization"] = "Bearer " + token;
    return call(method, target, body, headers);
  }

  static std::string lease_path(const Lease& lease) {
    return "/v1/agendas/" + lease.agenda_id + "/leases/" + std::to_string(lease.epoch);
  }

  // The lease's progress with its one operation succeeded with `result`, the agenda
  // EXECUTING or COMPLETE/succeeded.
  static Json with_result(Json progress, bool complete, const Json& result) {
    progress["processingState"] = complete ? "COMPLETE" : "EXECUTING";
    progress["processingStateMessage"] = complete ? "succeeded" : "running";
    progress["percentComplete"] = 100;
    Json& operation = progress["operationProgress"][0];
    operation["processingState"] = "COMPLETE";
    operation["processingStateMessage"] = "succeeded";
    operation["percentComplete"] = 100;
    operation["resultPayload"] = result;
    return progress;
  }

  Json stored_progress(const std::string& id) {
    return Json::parse(call("GET", "/v1/agendas/" + id + "/progress").body, nullptr, false);
  }

  static std::string error_message(const http_client::Response& response) {
    const Json body = Json::parse(response.body, nullptr, false);
    return body.is_object() ? body.value("error", Json::object()).value("message", "") : "";
  }

  // A refusal that tells nothing: 409 or 404 (400 when the key is missing or malformed), and
  // neither the current epoch nor the holder.
  static void expect_refused(const http_client::Response& response, const std::string& what,
                             bool bad_request = false) {
    if (bad_request) {
      EXPECT_EQ(response.status, 400) << what << ": " << response.body;
    } else {
      EXPECT_TRUE(response.status == 409 || response.status == 404)
          << what << ": " << response.status << " " << response.body;
    }
    const std::string message = error_message(response);
    EXPECT_EQ(message.find("current epoch"), std::string::npos) << what << ": " << message;
    EXPECT_EQ(message.find("puller-a"), std::string::npos) << what << ": " << message;
  }
};

TEST_F(LeaseHolderE2eTest, OnlyThePullerThatTookALeaseReportsOnIt) {
  const std::string token_a = puller_token("default");
  const std::string token_b = puller_token("default");
  const std::string id = submit();
  const Lease lease = pull(token_a, "puller-a");
  ASSERT_EQ(lease.agenda_id, id);
  ASSERT_FALSE(lease.key.empty());
  const Json before = stored_progress(id);
  ASSERT_EQ(before["processingState"], "EXECUTING");

  // What B would make of A's agenda: an operation that never ran, "succeeded".
  const Json forgery = {{"forged", true}};
  const std::string running = with_result(lease.progress, false, forgery).dump();
  const std::string done = with_result(lease.progress, true, forgery).dump();
  struct Attempt {
    const char* what;
    std::string token;
    http_client::Headers headers;
    bool bad_request;
  };
  const Attempt attempts[] = {
      {"B without a key", token_b, {}, true},
      {"B with an empty key", token_b, {{kLeaseKeyHeader, ""}}, true},
      {"B with a malformed key", token_b, {{kLeaseKeyHeader, "%%not base64url%%"}}, true},
      {"B with a made-up key",
       token_b,
       {{kLeaseKeyHeader, base64url_encode(std::string(32, 'k'))}},
       false},
      {"the admin without a key", admin_token(), {}, true},
  };
  for (const auto& attempt : attempts) {
    expect_refused(
        as(attempt.token, "PUT", lease_path(lease) + "/progress", running, attempt.headers),
        std::string(attempt.what) + ": progress", attempt.bad_request);
    expect_refused(
        as(attempt.token, "POST", lease_path(lease) + "/complete", done, attempt.headers),
        std::string(attempt.what) + ": complete", attempt.bad_request);
  }
  // B's key for a lease of its own names that lease, not A's.
  const std::string other = submit();
  const Lease lease_b = pull(token_b, "puller-b");
  ASSERT_EQ(lease_b.agenda_id, other);
  expect_refused(
      as(token_b, "POST", lease_path(lease) + "/complete", done, {{kLeaseKeyHeader, lease_b.key}}),
      "B with its own lease's key");
  // A handler's report token, even one carrying a lease key, reports only through
  // /v1/reports.
  const std::string report_token = mint_report_token(base64url_decode(lease_b.key).value_or(""),
                                                     {lease_b.agenda_id, lease_b.epoch, "work", 1});
  auto by_reporter = as(report_token, "PUT", lease_path(lease) + "/progress", running,
                        {{kLeaseKeyHeader, lease.key}});
  EXPECT_EQ(by_reporter.status, 403) << by_reporter.body;
  // A's key under an epoch that is not its lease's: refused, without saying which one is.
  Lease stale = lease;
  stale.epoch = lease.epoch + 1;
  expect_refused(
      as(token_a, "PUT", lease_path(stale) + "/progress", running, {{kLeaseKeyHeader, lease.key}}),
      "A's key under another epoch");

  // Nothing changed: still executing, progress as the pull left it.
  const Json after = stored_progress(id);
  EXPECT_EQ(after["processingState"], "EXECUTING");
  EXPECT_EQ(after["percentComplete"], before["percentComplete"]);
  EXPECT_EQ(after["operationProgress"], before["operationProgress"]);

  // A's own reports work, and A's result is the one that stands.
  const Json result = {{"real", true}};
  auto reported =
      as(token_a, "PUT", lease_path(lease) + "/progress",
         with_result(lease.progress, false, result).dump(), {{kLeaseKeyHeader, lease.key}});
  EXPECT_EQ(reported.status, 204) << reported.body;
  auto completed =
      as(token_a, "POST", lease_path(lease) + "/complete",
         with_result(lease.progress, true, result).dump(), {{kLeaseKeyHeader, lease.key}});
  EXPECT_EQ(completed.status, 204) << completed.body;
  const Json final_progress = stored_progress(id);
  EXPECT_EQ(final_progress["processingStateMessage"], "succeeded");
  EXPECT_EQ(final_progress["operationProgress"][0]["resultPayload"], result);

  // Once the lease ended, even its holder is refused, and told nothing more.
  expect_refused(
      as(token_a, "PUT", lease_path(lease) + "/progress", running, {{kLeaseKeyHeader, lease.key}}),
      "A after completion");
}

// A lease revoked by a cancel: the holder's next report is a 409 that does not tell it the
// epoch the agenda moved to.
TEST_F(LeaseHolderE2eTest, ARevokedLeaseIsRefusedWithoutItsCurrentEpoch) {
  const std::string token = puller_token("default");
  const std::string id = submit();
  const Lease lease = pull(token, "puller-a");
  ASSERT_EQ(lease.agenda_id, id);
  ASSERT_EQ(call("POST", "/v1/agendas/" + id + "/cancel").status, 200);
  Json progress = lease.progress;
  progress["processingState"] = "EXECUTING";
  auto refused = as(token, "PUT", lease_path(lease) + "/progress", progress.dump(),
                    {{kLeaseKeyHeader, lease.key}});
  expect_refused(refused, "the holder after a cancel");
  EXPECT_EQ(refused.status, 409);
  const std::string message = error_message(refused);
  EXPECT_EQ(message.find("epoch " + std::to_string(lease.epoch + 1)), std::string::npos) << message;
}

}  // namespace
}  // namespace pop::api
