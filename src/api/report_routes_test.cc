// End to end: the server whose handler is a shell script that reports progress
// and its output with curl, as docs/handler-contract.md tells handler authors to.
#include "api/report_routes.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <vector>

#include "http_client/client.h"
#include "server/server_fixture.h"
#include "testing/subprocess.h"
#include "util/base64url.h"

namespace pop::api {
using Json = nlohmann::json;

namespace {

using namespace std::chrono_literals;

// Saves its token as <op>.<run>.token (run counts this operation's handler starts), reports
// progress, waits for <op>.go, then exits 0 without an output file; operation "a" first
// reports a 20 KB output, and operation "flaky" fails its first run.
constexpr char kReporterScript[] = R"(#!/bin/sh
op="$POP_OPERATION_NAME"
run=1
while [ -e "$DIR/$op.$run.token" ]; do run=$((run + 1)); done
printf '%s' "$POP_REPORT_TOKEN" > "$DIR/$op.$run.tmp" && mv "$DIR/$op.$run.tmp" "$DIR/$op.$run.token"
if [ "$op" = flaky ] && [ "$run" = 1 ]; then exit 1; fi
report() {
  curl --noproxy '*' -sS -f -X POST -H "Authorization: Bearer $POP_REPORT_TOKEN" \
       -H 'Content-Type: application/json' --data-binary @- "$POP_REPORT_URL"
}
echo '{"percentComplete": 40, "message": "pass 1 of 2"}' | report || exit 3
while [ ! -e "$DIR/$op.go" ]; do sleep 0.02; done
if [ "$op" = a ]; then
  log=$(head -c 20000 /dev/zero | tr '\0' x)
  printf '{"output": {"frames": 1200, "log": "%s"}}' "$log" | report || exit 4
fi
exit 0
)";

class ReportEndpointTest : public pop::server::ServerFixture {
 protected:
  // A server with its embedded puller; ReportViaStandalonePullerTest runs `pop puller` instead.
  virtual bool standalone_puller() const { return false; }

  void before_start() override {
    const auto script = dir_->path() / "reporter.sh";
    std::ofstream(script) << kReporterScript;
    std::ofstream(dir_->path() / "handlers.json")
        << Json{{"handlers",
                 {{"reporter",
                   {{"command", {"/bin/sh", script.string()}},
                    {"env", {{"DIR", dir_->path().string()}}}}}}}}
               .dump();
  }

  void configure(server::ServerConfig& config) override {
    auto merged = config.registry.merge_file(handlers());
    ASSERT_TRUE(merged.has_value()) << merged.error().message;
    config.lease_duration = std::chrono::seconds(3);
    if (standalone_puller()) config.embedded_puller.reset();
  }

  void SetUp() override {
    ServerFixture::SetUp();
    if (HasFatalFailure() || !standalone_puller()) return;
    puller_.emplace(std::vector<std::string>{POP_BINARY, "puller", "--server", base_url_,
                                             "--handlers", handlers(), "--report-seconds", "0.1",
                                             "--token", puller_token("default")},
                    std::map<std::string, std::string>{}, dir_->path().string());
  }

  void TearDown() override {
    if (puller_) {
      puller_->signal(SIGTERM);
      auto result = puller_->wait();
      EXPECT_EQ(result.exit_status, 0) << result.err;
    }
    ServerFixture::TearDown();
  }

  std::string handlers() const { return (dir_->path() / "handlers.json").string(); }

  http_client::Response post_report(const std::string& token, const std::string& body) {
    http_client::Headers headers;
    headers["Authorization"] = "Bearer " + token;
    headers["Content-Type"] = "application/json";
    return call("POST", "/v1/reports", body, headers);
  }

  std::string submit(const std::string& agenda) {
    auto submitted = call("POST", "/v1/agendas", agenda);
    EXPECT_EQ(submitted.status, 201) << submitted.body;
    return submitted.status == 201 ? Json::parse(submitted.body)["id"].get<std::string>() : "";
  }

  Json progress(const std::string& id) {
    return Json::parse(call("GET", "/v1/agendas/" + id + "/progress").body);
  }

  // The token a handler saved, once it has.
  std::string token(const std::string& operation, int run = 1) {
    const auto path = dir_->path() / (operation + "." + std::to_string(run) + ".token");
    EXPECT_TRUE(pop::testing::eventually([&] { return std::filesystem::exists(path); }, 20s))
        << path;
    return pop::testing::read_file(path.string());
  }

  void release(const std::string& operation) {
    std::ofstream(dir_->path() / (operation + ".go")) << "";
  }

  // Waits until the operation's progress on the server shows what the script reported.
  bool shows_reported_progress(const std::string& id, std::size_t operation) {
    return pop::testing::eventually(
        [&] {
          const Json item = progress(id)["operationProgress"][operation];
          return item["percentComplete"] == 40 && item.value("message", "") == "pass 1 of 2";
        },
        20s);
  }

  void expect_status(const http_client::Response& response, int status, const std::string& code) {
    EXPECT_EQ(response.status, status) << response.body;
    const Json body = Json::parse(response.body, nullptr, false);
    EXPECT_EQ(body["error"]["code"], code) << response.body;
    EXPECT_TRUE(body["error"]["correlationId"].is_string()) << response.body;
  }

  std::optional<pop::testing::Subprocess> puller_;
};

constexpr char kProducerAndConsumer[] = R"({"operations": [
  {"name": "a", "type": "reporter"},
  {"name": "b", "type": "sample", "payload": {"resultPayload": {"got": "@<a.out>"}}}]})";

void expect_output_consumed(const Json& done) {
  ASSERT_EQ(done["processingStateMessage"], "succeeded") << done.dump(2);
  const Json& output = done["operationProgress"][0]["resultPayload"];
  EXPECT_EQ(output["frames"], 1200);
  EXPECT_EQ(output["log"].get<std::string>().size(), 20000u);
  EXPECT_EQ(done["operationProgress"][1]["resultPayload"], Json({{"got", output}}));
}

TEST_F(ReportEndpointTest, ReportedProgressShowsAndTheReportedOutputFeedsTheDependant) {
  const std::string id = submit(kProducerAndConsumer);
  EXPECT_TRUE(shows_reported_progress(id, 0)) << progress(id).dump(2);
  pop::testing::Subprocess watch({POP_BINARY, "watch", id, "--server", base_url_},
                                 cli_environment(), dir_->path().string());
  ASSERT_TRUE(pop::testing::eventually([&] {
    return watch.stdout_so_far().find("pass 1 of 2") != std::string::npos;
  })) << watch.stdout_so_far();
  release("a");
  expect_output_consumed(wait_for_outcome(id));
  const auto watched = watch.wait();
  EXPECT_EQ(watched.exit_status, 0) << watched.out << watched.err;
  EXPECT_NE(watched.out.find("a  running  40%  pass 1 of 2"), std::string::npos) << watched.out;

  // The lease has ended: the token is worth nothing now, and nothing more is stored.
  expect_status(post_report(token("a"), R"({"output": "late"})"), 409, "conflict");
  EXPECT_EQ(wait_for_outcome(id)["operationProgress"][0]["resultPayload"]["frames"], 1200);
}

TEST_F(ReportEndpointTest, AReplayedTokenOfAnEarlierLeaseIsFencedOff) {
  // The first run fails, so the agenda is retried under a new lease; its second run waits.
  const std::string id = submit(R"({"operations": [{"name": "flaky", "type": "reporter"}]})");
  const std::string first = token("flaky", 1);
  const std::string second = token("flaky", 2);
  EXPECT_TRUE(shows_reported_progress(id, 0));
  expect_status(post_report(first, R"({"percentComplete": 99, "message": "replayed"})"), 409,
                "conflict");
  EXPECT_EQ(post_report(second, R"({"message": "current"})").status, 204);
  ASSERT_TRUE(pop::testing::eventually(
      [&] { return progress(id)["operationProgress"][0].value("message", "") == "current"; }, 20s));
  release("flaky");
  const Json done = wait_for_outcome(id);
  EXPECT_EQ(done["processingStateMessage"], "succeeded") << done.dump(2);
  EXPECT_NE(done.dump().find("current"), std::string::npos) << done.dump(2);
  EXPECT_EQ(done.dump().find("replayed"), std::string::npos) << done.dump(2);
}

TEST_F(ReportEndpointTest, ATokenIsRefusedForAnyOtherOperationAndForgeriesFail) {
  const std::string id = submit(R"({"operations": [{"name": "x", "type": "reporter"},
      {"name": "y", "type": "reporter"}]})");
  const std::string x = token("x");
  const std::string y = token("y");
  ASSERT_TRUE(shows_reported_progress(id, 0));
  ASSERT_TRUE(shows_reported_progress(id, 1));

  // x's token rewritten to name y (its MAC kept), and x's claims with y's MAC.
  const std::string claims = *base64url_decode(x.substr(6, x.rfind('.') - 6));
  const std::string as_y =
      std::regex_replace(claims, std::regex(R"("operation":"x")"), R"("operation":"y")");
  ASSERT_NE(as_y, claims);
  const std::string renamed = "popr1." + base64url_encode(as_y) + x.substr(x.rfind('.'));
  const std::string spliced = x.substr(0, x.rfind('.')) + y.substr(y.rfind('.'));
  for (const std::string& forged : {renamed, spliced, std::string("popr1.garbage.mac"), x + "x"}) {
    auto refused = post_report(forged, R"({"percentComplete": 7, "message": "forged"})");
    expect_status(refused, 401, "unauthenticated");
    EXPECT_EQ(refused.header("WWW-Authenticate").substr(0, 6), "Bearer");
    EXPECT_EQ(refused.body.find(forged), std::string::npos) << "the answer echoes the token";
  }
  // Any other credential, even an admin's, is not an attempt's: it may not report.
  expect_status(call("POST", "/v1/reports", R"({"percentComplete": 7})"), 403, "forbidden");

  // The real token works, for its own operation only.
  EXPECT_EQ(post_report(x, R"({"percentComplete": 60, "message": "x only"})").status, 204);
  ASSERT_TRUE(pop::testing::eventually(
      [&] { return progress(id)["operationProgress"][0].value("message", "") == "x only"; }, 20s));
  EXPECT_EQ(progress(id)["operationProgress"][1]["message"], "pass 1 of 2");

  // Bad bodies are refused with the field named; an oversized output is a 413.
  expect_status(post_report(x, "{}"), 400, "invalid_argument");
  expect_status(post_report(x, R"({"percentComplete": 140})"), 400, "invalid_argument");
  expect_status(post_report(x, R"({"output": ")" + std::string(1100000, 'o') + "\"}"), 413,
                "too_large");

  release("x");
  release("y");
  const Json done = wait_for_outcome(id);
  EXPECT_EQ(done["processingStateMessage"], "succeeded") << done.dump(2);
  EXPECT_TRUE(done["operationProgress"][0]["resultPayload"].is_null());
  EXPECT_EQ(done.dump().find("forged"), std::string::npos) << done.dump(2);
}

// The same contract through `pop puller`, which reads reports back over HTTP.
class ReportViaStandalonePullerTest : public ReportEndpointTest {
 protected:
  bool standalone_puller() const override { return true; }
};

TEST_F(ReportViaStandalonePullerTest, ReportedProgressAndOutputTravelThroughTheServer) {
  const std::string id = submit(kProducerAndConsumer);
  EXPECT_TRUE(shows_reported_progress(id, 0)) << progress(id).dump(2);
  release("a");
  expect_output_consumed(wait_for_outcome(id));
}

}  // namespace
}  // namespace pop::api
