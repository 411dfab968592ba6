// End to end: documents that are small on the wire but expand into huge ones (references
// fanning in one large output, templates repeating their payload, outputs copying outputs,
// millions of tiny JSON values) are refused by the limits that bound them, while a real
// `pop server` with its embedded puller keeps its memory bounded and keeps answering.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "testing/attack_watch.h"
#include "testing/pop_server_fixture.h"

namespace pop::api {
using Json = nlohmann::json;

namespace {

#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer holds freed blocks in quarantine (256 MiB by default) and pads the rest.
constexpr std::size_t kSanitizerAllowance = 512u << 20;
#else
constexpr std::size_t kSanitizerAllowance = 0;
#endif
// A server that stays within this while attacked passes (progress documents of 16 MiB are
// copied a few times over while they are reported, stored and served); one that passes
// kKillAbove is killed by the watch, so that a test run on unfixed code fails without
// exhausting the machine.
constexpr std::size_t kMaxServerRss = (400u << 20) + kSanitizerAllowance;
constexpr std::size_t kKillAbove = (1536u << 20) + kSanitizerAllowance;

class SizeLimitsTest : public pop::testing::PopServerFixture {
 protected:
  // The default lease: each heartbeat of an agenda holding 16 MiB of outputs sends, stores
  // and compares its whole progress, which under the sanitizers on a loaded machine takes
  // longer than the fixture's 5 s lease, and the agenda would be reclaimed forever.
  std::vector<std::string> server_arguments() const override { return {"--lease-seconds", "30"}; }

  pop::testing::AttackWatch watch() {
    return pop::testing::AttackWatch(server_->pid(), port(), kKillAbove);
  }

  static void expect_bounded(pop::testing::AttackWatch& watch) {
    const pop::testing::AttackRecord seen = watch.stop();
    // Kept in the test report (--gtest_output=xml) for the record.
    RecordProperty("peak_rss_mib", std::to_string(seen.peak_rss_bytes >> 20));
    RecordProperty("slowest_healthz_ms", std::to_string(seen.slowest_health_check.count()));
    pop::testing::expect_held(seen, kMaxServerRss);
  }

  Json error_of(const http_client::Response& response) {
    return Json::parse(response.body, nullptr, false).value("error", Json::object());
  }

  // The agenda's progress once COMPLETE (or the last one read after 120 s: megabytes of
  // outputs are slow to run under the sanitizers on a loaded machine). Polled a few
  // times a second: a progress document here is megabytes, and the test's own reads must
  // not be what the server's memory measures.
  Json outcome(const std::string& id) {
    Json progress;
    pop::testing::eventually(
        [&] {
          std::this_thread::sleep_for(std::chrono::milliseconds(250));
          progress =
              Json::parse(call("GET", "/v1/agendas/" + id + "/progress").body, nullptr, false);
          return progress.is_discarded() || progress.value("processingState", "") == "COMPLETE";
        },
        std::chrono::seconds(120));
    return progress;
  }

  std::string submit(const Json& agenda) {
    auto submitted = call("POST", "/v1/agendas", agenda.dump());
    EXPECT_EQ(submitted.status, 201) << submitted.body.substr(0, 1000);
    return Json::parse(submitted.body, nullptr, false).value("id", "");
  }
};

Json repeated(const std::string& token, int times) {
  Json tokens = Json::array();
  for (int i = 0; i < times; ++i) tokens.push_back(token);
  return tokens;
}

// One operation returns a 1,000,000-character string; the next references it 2,000 times.
// Resolved, that payload would be 2 GB: it is refused at the limit of a payload, failing
// that operation (not the server).
TEST_F(SizeLimitsTest, AReferenceFanInFailsTheOperationAtThePayloadLimit) {
  const Json agenda = {
      {"params", {{"maximumAttempts", 1}}},
      {"operations",
       {{{"name", "a"},
         {"type", "sample"},
         {"payload", {{"resultPayload", std::string(1'000'000, 'a')}}}},
        {{"name", "b"}, {"type", "sample"}, {"payload", {{"x", repeated("@<a.out>", 2000)}}}}}}};
  auto watching = watch();
  const std::string id = submit(agenda);
  const Json progress = outcome(id);
  expect_bounded(watching);

  EXPECT_EQ(progress["processingStateMessage"], "failed");
  const Json& b = progress["operationProgress"][1];
  EXPECT_EQ(b["processingStateMessage"], "failed");
  const std::string message = b["diagnosticEvents"].back().value("message", "");
  EXPECT_NE(message.find("limit of 1048576 bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("@<a.out>"), std::string::npos) << message;
  const std::string agenda_message = progress["diagnosticEvents"].back().value("message", "");
  EXPECT_NE(agenda_message.find("operation \"b\" failed"), std::string::npos) << agenda_message;
}

// A template repeating @<pop.payload> 1,000 times, run with a 1 MB payload, would bind a
// 1 GB agenda: the run is refused at the agenda's limit, naming it and the template.
TEST_F(SizeLimitsTest, ATemplateRunIsRefusedAtTheAgendaLimitWhileBinding) {
  const Json fanout = {{"id", "fanout"},
                       {"agenda",
                        {{"operations",
                          {{{"name", "a"},
                            {"type", "sample"},
                            {"payload", {{"x", repeated("@<pop.payload>", 1000)}}}}}}}}};
  auto created = call("POST", "/v1/templates", fanout.dump());
  ASSERT_EQ(created.status, 201) << created.body;

  auto watching = watch();
  const Json run = {{"payload", std::string(1'000'000, 'p')}};
  auto refused = call("POST", "/v1/templates/fanout/run", run.dump());
  expect_bounded(watching);
  EXPECT_EQ(refused.status, 413) << refused.body.substr(0, 1000);
  const std::string message = error_of(refused).value("message", "");
  EXPECT_NE(message.find("template \"fanout\""), std::string::npos) << message;
  EXPECT_NE(message.find("limit of 33554432 bytes"), std::string::npos) << message;
}

// The same through a static parameter, refused when the template is created.
TEST_F(SizeLimitsTest, ATemplateWhoseStaticParametersExpandPastTheLimitIsRefused) {
  const Json expanding = {
      {"id", "static"},
      {"staticParameters", {{"big", std::string(1'000'000, 's')}}},
      {"agenda",
       {{"operations",
         {{{"name", "a"}, {"type", "sample"}, {"payload", {{"x", repeated("@<big>", 1000)}}}}}}}}};
  auto watching = watch();
  auto refused = call("POST", "/v1/templates", expanding.dump());
  expect_bounded(watching);
  EXPECT_EQ(refused.status, 413) << refused.body.substr(0, 1000);
  const std::string message = error_of(refused).value("message", "");
  EXPECT_NE(message.find("template \"static\""), std::string::npos) << message;
  EXPECT_NE(message.find("limit of 33554432 bytes"), std::string::npos) << message;
  EXPECT_EQ(call("GET", "/v1/templates/static").status, 404);
}

// Seventeen operations copy a 1 MB output: together 18 MB of outputs. The agenda's outputs
// stop at their limit, so its progress document stays within what can be served.
TEST_F(SizeLimitsTest, OutputsCopyingOutputsStopAtTheProgressLimit) {
  Json operations = Json::array();
  operations.push_back({{"name", "seed"},
                        {"type", "sample"},
                        {"payload", {{"resultPayload", std::string(1'000'000, 'o')}}}});
  for (int i = 0; i < 17; ++i) {
    operations.push_back({{"name", "copy" + std::to_string(i)},
                          {"type", "sample"},
                          {"payload", {{"resultPayload", "@<seed.out>"}}}});
  }
  auto watching = watch();
  const std::string id = submit({{"params", {{"maximumAttempts", 1}}}, {"operations", operations}});
  const Json progress = outcome(id);
  const auto served = call("GET", "/v1/agendas/" + id + "/progress");
  expect_bounded(watching);

  EXPECT_LT(served.body.size(), 17u << 20);
  EXPECT_EQ(progress["processingStateMessage"], "failed");
  std::string refusal;
  for (const Json& operation : progress["operationProgress"]) {
    for (const Json& event : operation["diagnosticEvents"]) {
      const std::string message = event.value("message", "");
      if (message.find("limit of 16777216 bytes") != std::string::npos) refusal = message;
    }
  }
  EXPECT_FALSE(refusal.empty()) << progress["diagnosticEvents"].dump();
}

// 30 MiB of agenda whose unknown field holds 10 M empty objects: refused while parsing,
// before a document is built, naming the value limit.
TEST_F(SizeLimitsTest, MillionsOfTinyValuesAreRefusedBeforeADocumentIsBuilt) {
  constexpr std::size_t kObjects = 10'000'000;
  std::string body = R"({"operations": [{"name": "a", "type": "sample"}], "junk": [)";
  body.reserve(body.size() + 3 * kObjects + 2);
  for (std::size_t i = 0; i < kObjects; ++i) body += i == 0 ? "{}" : ",{}";
  body += "]}";
  ASSERT_LT(body.size(), 32u << 20);

  auto watching = watch();
  auto refused = call("POST", "/v1/agendas", body);
  expect_bounded(watching);
  EXPECT_EQ(refused.status, 413) << refused.body.substr(0, 1000);
  const std::string message = error_of(refused).value("message", "");
  EXPECT_NE(message.find("limit of 1000000 JSON values"), std::string::npos) << message;
}

// A pull or a rerun is a few fields: their bodies are held to a small request's limits (as
// a pool's are), not to a progress document's 2,000,000 values and depth 160, which would
// let 1 MiB of "[],"s build a document of 350,000 values for nothing.
TEST_F(SizeLimitsTest, PullAndRerunBodiesAreParsedWithinSmallRequestLimits) {
  std::string many = R"({"pullerId": "p", "waitSeconds": 0, "x": [0)";
  for (int i = 0; i < 30'000; ++i) many += ",0";
  many += "]}";
  const std::string deep = R"({"pullerId": "p", "waitSeconds": 0, "x": )" + std::string(40, '[') +
                           std::string(40, ']') + "}";
  struct Case {
    std::string target;
    std::string body;
    std::string limit;
  };
  for (const Case& c :
       {Case{"/v1/pools/default/pull", many, "limit of 20000 JSON values"},
        Case{"/v1/pools/default/pull", deep, "depth exceeds the limit of 16"},
        Case{"/v1/agendas/some-agenda/rerun", many, "limit of 20000 JSON values"},
        Case{"/v1/agendas/some-agenda/rerun", deep, "depth exceeds the limit of 16"}}) {
    auto refused = call("POST", c.target, c.body);
    EXPECT_EQ(refused.status, 413) << c.target << ": " << refused.body;
    const std::string message = error_of(refused).value("message", "");
    EXPECT_NE(message.find(c.limit), std::string::npos) << c.target << ": " << message;
  }
}

}  // namespace
}  // namespace pop::api
