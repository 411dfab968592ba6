// End to end: configuration over HTTP against the server, with its effect
// on live scheduling (no restart) and the templates' run endpoint.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http_client/client.h"
#include "http_client/url.h"
#include "server/server_fixture.h"

namespace pop::api {
using Json = nlohmann::json;

namespace {

using namespace std::chrono_literals;

class ConfigRoutesTest : public pop::server::ServerFixture {
 protected:
  // A call expected to answer `status`; returns its parsed body (null when empty).
  Json expect(int status, const std::string& method, const std::string& target,
              const std::string& body = "", http_client::Headers headers = {}) {
    auto response = call(method, target, body, std::move(headers));
    EXPECT_EQ(response.status, status) << method << " " << target << ": " << response.body;
    return response.body.empty() ? Json() : Json::parse(response.body);
  }

  // The error object of a call expected to fail with `status`.
  Json expect_error(int status, const std::string& method, const std::string& target,
                    const std::string& body = "", http_client::Headers headers = {}) {
    return expect(status, method, target, body, std::move(headers)).value("error", Json());
  }

  std::string submit(const std::string& body) {
    return expect(201, "POST", "/v1/agendas", body).value("id", "");
  }
};

const char* kOne = R"({"operations": [{"name": "a", "type": "sample"}]})";

TEST_F(ConfigRoutesTest, NewPoolInsightAndCustomerTakeEffectWithoutRestart) {
  auto pool = call("POST", "/v1/pools", R"({"id": "gpu", "title": "GPUs"})");
  ASSERT_EQ(pool.status, 201) << pool.body;
  EXPECT_EQ(pool.header("Location"), "/v1/pools/gpu");
  EXPECT_EQ(pool.header("ETag"), "\"1\"");
  expect(201, "POST", "/v1/insights", R"({"id": "gpu-encode", "resourcePoolId": "gpu",
      "queueSize": 1, "isGlobal": true, "mappers": {"operationType": ["sample"]}})");
  // Every caller is the customer "default" for now: its agendas go to the new pool.
  expect(201, "POST", "/v1/customers", R"({"id": "default", "resourcePoolId": "gpu"})");
  EXPECT_EQ(expect(200, "GET", "/v1/pools/gpu")["insightIds"], Json::array({"gpu-encode"}));

  const std::string first = submit(kOne);
  const std::string second = submit(kOne);
  const Json agenda = expect(200, "GET", "/v1/agendas/" + first);
  EXPECT_EQ(agenda["agendaInsight"],
            Json::parse(R"({"resourcePoolId": "gpu", "insightId": "gpu-encode"})"));
  EXPECT_EQ(expect(200, "GET", "/v1/agendas/" + second + "/explain")["algorithm"], "fifo");

  // Read, change and write back under If-Match: the queue switches algorithm at once.
  auto read = call("GET", "/v1/insights/gpu-encode");
  ASSERT_EQ(read.status, 200);
  Json insight = Json::parse(read.body);
  insight["schedulingAlgorithm"] = "priority";
  auto updated = call("PUT", "/v1/insights/gpu-encode", insight.dump(),
                      {{"If-Match", std::string(read.header("ETag"))}});
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.header("ETag"), "\"2\"");
  EXPECT_EQ(Json::parse(updated.body)["version"], 2);
  EXPECT_EQ(expect(200, "GET", "/v1/agendas/" + second + "/explain")["algorithm"], "priority");
  const Json stale = expect_error(412, "PUT", "/v1/insights/gpu-encode", insight.dump(),
                                  {{"If-Match", std::string(read.header("ETag"))}});
  EXPECT_EQ(stale["code"], "precondition_failed");
  EXPECT_EQ(stale["message"], "insight \"gpu-encode\" is at version 2, not 1");

  // The embedded puller serves the default pool only: the new pool's own puller runs them.
  pop::testing::Subprocess puller(
      {POP_BINARY, "puller", "--server", base_url_, "--pool", "gpu", "--puller-id", "gpu-1",
       "--report-seconds", "0.2", "--token", puller_token("gpu")},
      {}, dir_->path().string());
  EXPECT_EQ(wait_for_outcome(first)["processingStateMessage"], "succeeded");
  EXPECT_EQ(wait_for_outcome(second)["processingStateMessage"], "succeeded");
  puller.signal(SIGTERM);
  EXPECT_EQ(puller.wait().exit_status, 0);
}

TEST_F(ConfigRoutesTest, ListsPageWithACursor) {
  for (const char* id : {"p1", "p2"})
    expect(201, "POST", "/v1/pools", std::string(R"({"id": ")") + id + "\"}");
  // Ids may hold what a URL must escape; Location does.
  auto spaced = call("POST", "/v1/pools", R"({"id": "p 3"})");
  ASSERT_EQ(spaced.status, 201) << spaced.body;
  EXPECT_EQ(spaced.header("Location"), "/v1/pools/p%203");
  EXPECT_EQ(expect(200, "GET", std::string(spaced.header("Location")))["id"], "p 3");
  std::vector<std::string> ids;
  std::string target = "/v1/pools?limit=2";
  for (int pages = 0; pages < 5; ++pages) {
    const Json page = expect(200, "GET", target);
    for (const auto& item : page["items"]) ids.push_back(item["id"]);
    if (!page.contains("nextCursor")) break;
    target = "/v1/pools?limit=2&cursor=" +
             http_client::percent_encode(page["nextCursor"].get<std::string>());
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"default", "p 3", "p1", "p2"}));
}

TEST_F(ConfigRoutesTest, EveryClientErrorHasItsStatusAndBody) {
  // 400: malformed JSON, bad paging, bad If-Match, malformed run requests.
  const Json malformed = expect_error(400, "POST", "/v1/pools", "{not json");
  EXPECT_EQ(malformed["code"], "invalid_argument");
  EXPECT_EQ(malformed["message"].get<std::string>().rfind("request body: ", 0), 0u);
  EXPECT_EQ(expect_error(400, "GET", "/v1/customers?limit=0")["message"],
            "limit must be an integer from 1 to 1000, not \"0\"");
  EXPECT_EQ(expect_error(400, "GET", "/v1/customers?limit=1001")["code"], "invalid_argument");
  EXPECT_EQ(expect_error(400, "GET", "/v1/customers?cursor=bogus")["code"], "invalid_argument");
  EXPECT_EQ(expect_error(400, "GET", "/v1/customers?sort=id")["message"],
            "unknown query parameter \"sort\" (expected limit, cursor)");
  EXPECT_EQ(
      expect_error(400, "PUT", "/v1/pools/default", "{}", {{"If-Match", "banana"}})["message"],
      "If-Match must be a version as sent in ETag (\"3\"), not banana");
  EXPECT_EQ(expect_error(400, "POST", "/v1/templates/x/run", R"({"params": 1})")["message"],
            "params must be an object");

  // 404: unknown ids.
  EXPECT_EQ(expect_error(404, "GET", "/v1/pools/nope")["message"], "no resource pool \"nope\"");
  EXPECT_EQ(expect_error(404, "GET", "/v1/insights/nope")["code"], "not_found");
  EXPECT_EQ(expect_error(404, "PUT", "/v1/customers/nope", "{}")["message"],
            "no customer \"nope\"");
  EXPECT_EQ(expect_error(404, "DELETE", "/v1/templates/nope")["message"],
            "no agenda template \"nope\"");
  EXPECT_EQ(expect_error(404, "POST", "/v1/templates/nope/run", "{}")["message"],
            "no agenda template \"nope\"");

  // 405: a known path with another method.
  expect_error(405, "PATCH", "/v1/pools/default", "{}");

  // 413: a document over the size limit.
  const std::string huge = R"({"id": "big", "title": ")" + std::string(33u << 20, 'x') + "\"}";
  // Sent as HTTP says a large body should be, waiting for "100 Continue": without it the
  // server answers 413 on the head and closes while the client is still sending, and the
  // client may meet the reset before it reads the answer (seen under load).
  EXPECT_EQ(expect_error(413, "POST", "/v1/pools", huge, {{"Expect", "100-continue"}})["code"],
            "too_large");

  // 422: invalid documents name every bad field; nothing is stored.
  const Json weight = expect_error(422, "POST", "/v1/customers",
                                   R"({"id": "acme", "weight": -1, "colour": "red"})");
  EXPECT_EQ(weight["code"], "invalid_document");
  EXPECT_EQ(weight["message"], "customer is invalid: 2 problems");
  EXPECT_EQ(weight["details"],
            Json::array({"colour: unknown field", "weight: must be a number from 0.001 to 1000"}));
  expect_error(404, "GET", "/v1/customers/acme");
  EXPECT_EQ(expect_error(422, "POST", "/v1/insights",
                         R"({"id": "x", "resourcePoolId": "nope"})")["details"],
            Json::array({"resourcePoolId: no resource pool \"nope\""}));
  EXPECT_EQ(expect_error(422, "POST", "/v1/pools", R"({"id": "a/b"})")["details"],
            Json::array({"id: must not contain control characters or \"/\""}));
  EXPECT_EQ(expect_error(422, "POST", "/v1/pools", "[]")["details"],
            Json::array({"the document must be a JSON object"}));
  EXPECT_EQ(expect_error(422, "PUT", "/v1/pools/default", R"({"id": "other"})")["details"],
            Json::array({"id: \"other\" does not match the id in the path"}));
  EXPECT_EQ(
      expect_error(422, "POST", "/v1/templates",
                   R"({"agenda": {"operations": [{"name": "a", "type": "nope"}]}})")["details"],
      Json::array({"agenda (bound with a null payload): operation \"a\", field type: no "
                   "handler for operation type \"nope\""}));
  expect(201, "POST", "/v1/templates", R"({"id": "t", "agenda": {"operations": [
      {"name": "a", "type": "sample", "payload": "@<pop.payload::file>"}]}})");
  const Json unbound = expect_error(422, "POST", "/v1/templates/t/run", R"({"payload": {}})");
  EXPECT_EQ(unbound["code"], "invalid_agenda");
  EXPECT_EQ(unbound["message"],
            "at /operations/0/payload: reference \"@<pop.payload::file>\": path \"/file\" does "
            "not exist");

  // 409: duplicates, the defaults, a pool in use, an insight with waiting agendas.
  EXPECT_EQ(expect_error(409, "POST", "/v1/pools", R"({"id": "default"})")["message"],
            "resource pool \"default\" already exists");
  EXPECT_EQ(expect_error(409, "DELETE", "/v1/pools/default")["message"],
            "the default resource pool cannot be deleted");
  EXPECT_EQ(expect_error(409, "DELETE", "/v1/insights/default")["message"],
            "the catch-all insight of the default pool cannot be deleted");
  expect(201, "POST", "/v1/pools", R"({"id": "idle"})");
  expect(201, "POST", "/v1/insights",
         R"({"id": "parked", "resourcePoolId": "idle", "isGlobal": true})");
  expect(201, "POST", "/v1/customers", R"({"id": "default", "resourcePoolId": "idle"})");
  submit(kOne);  // no puller serves "idle": it waits
  const Json held = expect_error(409, "DELETE", "/v1/insights/parked");
  EXPECT_EQ(held["message"],
            "insight \"parked\" still holds 1 waiting agendas; cancel them or let them run first");
  const Json used = expect_error(409, "DELETE", "/v1/pools/idle");
  EXPECT_EQ(used["message"], "resource pool \"idle\" is in use; move or delete these first");
  EXPECT_EQ(used["details"],
            Json::array({"insights using it: \"parked\"", "customers using it: \"default\""}));

  // 412: a stale If-Match.
  EXPECT_EQ(expect_error(412, "PUT", "/v1/pools/idle", "{}", {{"If-Match", "\"7\""}})["message"],
            "resource pool \"idle\" is at version 1, not 7");

  // And what succeeds answers as documented.
  auto removed = call("DELETE", "/v1/customers/default");
  EXPECT_EQ(removed.status, 204);
  EXPECT_TRUE(removed.body.empty());
}

// A field of another JSON type than the document's (an id of 5, true, [] or {}) is a 4xx
// naming the field, never a 500, on every collection, created or replaced, by an admin or a
// template's member; and nothing is stored.
TEST_F(ConfigRoutesTest, FieldsOfTheWrongTypeAreRefusedNamingTheField) {
  struct Collection {
    std::string path;
    Json valid;  // a document that would be accepted
    std::vector<std::string> text_fields;
  };
  const Json agenda = Json::parse(R"({"operations": [{"name": "a", "type": "sample"}]})");
  const std::vector<Collection> collections = {
      {"/v1/pools", {{"id", "p"}}, {"id", "title"}},
      {"/v1/customers",
       {{"id", "c"}},
       {"id", "title", "billingCode", "resourcePoolId", "kubernetesNamespace"}},
      {"/v1/insights",
       {{"id", "i"}, {"resourcePoolId", "default"}},
       {"id", "resourcePoolId", "title", "queueName", "customerId", "schedulingAlgorithm"}},
      {"/v1/templates", {{"id", "t"}, {"agenda", agenda}}, {"id", "title", "customerId"}},
  };
  const std::vector<Json> wrong = {5,   true,      Json::array(), Json::object(),
                                   1.5, Json{"x"}, Json{{"a", 1}}};
  auto refused = [](const http_client::Response& response, const std::string& field,
                    const std::string& what) {
    EXPECT_TRUE(response.status == 400 || response.status == 422) << what << ": " << response.body;
    EXPECT_NE(response.body.find(field), std::string::npos) << what << ": " << response.body;
  };
  for (const Collection& collection : collections) {
    const std::string stored_id = collection.valid["id"];
    expect(201, "POST", collection.path, collection.valid.dump());
    for (const std::string& field : collection.text_fields) {
      for (const Json& value : wrong) {
        Json body = collection.valid;
        body[field] = value;
        if (field != "id") body["id"] = "new";
        const std::string what = collection.path + " " + field + "=" + value.dump();
        refused(call("POST", collection.path, body.dump()), field, "POST " + what);
        body.erase("id");
        body[field] = value;
        refused(call("PUT", collection.path + "/" + stored_id, body.dump()), field, "PUT " + what);
      }
    }
    expect_error(404, "GET", collection.path + "/new");
  }

  // A member writes templates: its refusals pass through the same checks.
  const std::string member =
      expect(201, "POST", "/v1/tokens", R"({"role": "member", "customerIds": ["acme"]})")
          .value("token", "");
  auto as_member = client(member);
  for (const Json& value : wrong) {
    Json body = {{"id", value}, {"agenda", agenda}};
    auto response = as_member.request("POST", "/v1/templates", body.dump(), {});
    ASSERT_TRUE(response.has_value());
    refused(*response, "id", "member POST /v1/templates id=" + value.dump());
  }
  // The server is still whole.
  EXPECT_EQ(expect(200, "GET", "/v1/pools/p")["id"], "p");
}

TEST_F(ConfigRoutesTest, TemplateRunBindsThePayloadAndTheAgendaCompletes) {
  expect(201, "POST", "/v1/templates", R"({"id": "greet", "title": "Greeting",
      "staticParameters": {"greeting": "hello"}, "params": {"maximumAttempts": 1},
      "agenda": {"operations": [
        {"name": "a", "type": "sample", "payload": {"resultPayload":
          {"text": "@<greeting> @<pop.payload::name>", "n": "@<pop.payload::n>"}}},
        {"name": "b", "type": "sample", "payload": {"resultPayload": "@<a.out::text>"}}]}})");
  const std::string body = R"({"payload": {"name": "ada", "n": 3}, "linkId": "run-1"})";
  auto run = call("POST", "/v1/templates/greet/run", body, {{"Idempotency-Key", "k1"}});
  ASSERT_EQ(run.status, 201) << run.body;
  const Json agenda = Json::parse(run.body);
  const std::string id = agenda["id"];
  EXPECT_EQ(run.header("Location"), "/v1/agendas/" + id);
  EXPECT_EQ(agenda["linkId"], "run-1");
  EXPECT_EQ(agenda["params"]["maximumAttempts"], 1);
  EXPECT_EQ(agenda["operations"][1]["payload"]["resultPayload"], "@<a.out::text>")
      << "the executor's references are left for it";

  const Json progress = wait_for_outcome(id);
  EXPECT_EQ(progress["processingStateMessage"], "succeeded") << progress.dump(2);
  EXPECT_EQ(progress["operationProgress"][0]["resultPayload"],
            Json::parse(R"({"text": "hello ada", "n": 3})"));
  EXPECT_EQ(progress["operationProgress"][1]["resultPayload"], "hello ada");

  auto replay = call("POST", "/v1/templates/greet/run", body, {{"Idempotency-Key", "k1"}});
  ASSERT_EQ(replay.status, 201);
  EXPECT_EQ(replay.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(Json::parse(replay.body)["id"], id);
}

}  // namespace
}  // namespace pop::api
