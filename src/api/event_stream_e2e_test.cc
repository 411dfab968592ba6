// End to end: GET /v1/events on a real in-process server. A diamond's whole life arrives in
// order; a client that reconnects with Last-Event-ID misses nothing and sees nothing twice;
// an id from another journal, or one the window no longer holds, gets a reset; filters; a
// member never sees another customer's agenda; the stream bounds; stopping the server ends
// every stream.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "server/server_fixture.h"
#include "testing/event_stream_reader.h"

namespace pop::api {
using Json = nlohmann::json;
using http_client::SseEvent;
using pop::testing::event_documents;
using pop::testing::EventStreamReader;

namespace {

constexpr char kDiamond[] = R"({"customerId": "CUSTOMER", "operations": [
    {"name": "top", "type": "sample", "payload": {"resultPayload": {"n": 2}}},
    {"name": "left", "type": "sample", "payload": {"resultPayload": "@<top.out::n>"}},
    {"name": "right", "type": "sample", "payload": {"resultPayload": 3}},
    {"name": "join", "type": "sample",
     "payload": {"resultPayload": ["@<left.out>", "@<right.out>"]}}]})";

// The events of one agenda, by type ("agenda.completed", "operation.state top running", ...).
std::vector<std::string> story(const std::vector<SseEvent>& events, const std::string& agenda_id) {
  std::vector<std::string> told;
  for (const Json& event : event_documents(events)) {
    if (event.value("agendaId", "") != agenda_id) continue;
    std::string line = event.value("type", "");
    if (line == "operation.state")
      line += " " + event["data"].value("operation", "") + " " + event["data"].value("state", "");
    told.push_back(line);
  }
  return told;
}

bool has(const std::vector<std::string>& told, const std::string& line) {
  return std::find(told.begin(), told.end(), line) != told.end();
}

std::size_t position_of(const std::vector<std::string>& told, const std::string& line) {
  return static_cast<std::size_t>(std::find(told.begin(), told.end(), line) - told.begin());
}

std::uint64_t sequence_of(const std::string& id) {
  return std::stoull(id.substr(id.rfind('-') + 1));
}

class EventStreamE2eTest : public pop::server::ServerFixture {
 protected:
  std::string submit(const std::string& customer = "default") {
    std::string body = kDiamond;
    body.replace(body.find("CUSTOMER"), 8, customer);
    auto submitted = call("POST", "/v1/agendas", body);
    EXPECT_EQ(submitted.status, 201) << submitted.body;
    return Json::parse(submitted.body, nullptr, false).value("id", "");
  }

  std::string member_token(const std::string& customer) {
    auto issued =
        call("POST", "/v1/tokens", Json{{"role", "member"}, {"customerIds", {customer}}}.dump());
    EXPECT_EQ(issued.status, 201) << issued.body;
    return Json::parse(issued.body, nullptr, false).value("token", "");
  }

  static auto completed(const std::string& id) {
    return [id](const std::vector<SseEvent>& events) {
      return has(story(events, id), "agenda.completed");
    };
  }
};

TEST_F(EventStreamE2eTest, ADiamondsWholeLifeArrivesInOrder) {
  EventStreamReader reader(client(), "/v1/events");
  ASSERT_TRUE(reader.wait_open());
  const std::string id = submit();
  ASSERT_TRUE(reader.wait_for(completed(id)))
      << ::testing::PrintToString(story(reader.events(), id));
  const std::vector<SseEvent> events = reader.events();
  const std::vector<std::string> told = story(events, id);
  EXPECT_EQ(told.front(), "agenda.submitted");
  EXPECT_EQ(told.back(), "agenda.completed");
  ASSERT_TRUE(has(told, "agenda.leased"));
  for (const std::string operation : {"top", "left", "right", "join"}) {
    const std::string succeeded = "operation.state " + operation + " succeeded";
    ASSERT_TRUE(has(told, succeeded)) << ::testing::PrintToString(told);
    EXPECT_LT(position_of(told, "agenda.leased"), position_of(told, succeeded));
    EXPECT_LT(position_of(told, succeeded), position_of(told, "agenda.completed"));
  }
  // The DAG's order: top before left and right, both before join.
  EXPECT_LT(position_of(told, "operation.state top succeeded"),
            position_of(told, "operation.state left succeeded"));
  EXPECT_LT(position_of(told, "operation.state right succeeded"),
            position_of(told, "operation.state join succeeded"));
  const Json last = event_documents(events).back();
  EXPECT_EQ(last["data"].value("outcome", ""), "succeeded");
  EXPECT_EQ(last.value("customerId", ""), "default");
  EXPECT_EQ(last.value("resourcePoolId", ""), "default");
  // Ids increase, one journal throughout.
  for (std::size_t i = 1; i < events.size(); ++i)
    EXPECT_LT(sequence_of(events[i - 1].id), sequence_of(events[i].id));
}

TEST_F(EventStreamE2eTest, ResumingWithLastEventIdMissesNothingAndRepeatsNothing) {
  // One client follows the whole run; another leaves after the first event and comes back.
  EventStreamReader whole(client(), "/v1/events");
  ASSERT_TRUE(whole.wait_open());
  std::optional<EventStreamReader> first(std::in_place, client(), "/v1/events");
  ASSERT_TRUE(first->wait_open());
  const std::string id = submit();
  ASSERT_TRUE(first->wait_for([](const auto& events) { return !events.empty(); }));
  first->stop();
  const std::vector<SseEvent> before = first->events();
  const std::string resume_from = first->last_id();
  first.reset();
  ASSERT_TRUE(whole.wait_for(completed(id)));
  EventStreamReader resumed(client(), "/v1/events", resume_from);
  ASSERT_TRUE(resumed.wait_for(completed(id)));

  std::vector<std::string> ids;
  for (const auto& event : before) ids.push_back(event.id);
  for (const auto& event : resumed.events()) ids.push_back(event.id);
  std::vector<std::string> expected;
  for (const auto& event : whole.events()) expected.push_back(event.id);
  EXPECT_EQ(ids, expected);
  for (const auto& event : resumed.events()) EXPECT_NE(event.type, "reset");
}

TEST_F(EventStreamE2eTest, AnIdFromAnotherJournalGetsAResetThenLiveEvents) {
  EventStreamReader reader(client(), "/v1/events", std::string("another-server-journal-7"));
  ASSERT_TRUE(reader.wait_for([](const auto& events) { return !events.empty(); }));
  EXPECT_EQ(reader.events().front().type, "reset");
  const std::string id = submit();
  EXPECT_TRUE(reader.wait_for(completed(id)));
}

TEST_F(EventStreamE2eTest, AMalformedLastEventIdOrFilterIsRefusedNamingIt) {
  auto bad_id = call("GET", "/v1/events", "", {{"Last-Event-ID", "no sequence"}});
  EXPECT_EQ(bad_id.status, 400);
  EXPECT_NE(bad_id.body.find("Last-Event-ID"), std::string::npos) << bad_id.body;
  auto bad_type = call("GET", "/v1/events?type=agenda.exploded");
  EXPECT_EQ(bad_type.status, 400);
  EXPECT_NE(bad_type.body.find("agenda.exploded"), std::string::npos) << bad_type.body;
  auto unknown = call("GET", "/v1/events?colour=red");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("colour"), std::string::npos) << unknown.body;
}

TEST_F(EventStreamE2eTest, FiltersKeepOnlyTheAgendaAndTypesAskedFor) {
  const std::string other = submit();
  wait_for_outcome(other);
  EventStreamReader reader(client(), "/v1/events?type=agenda.completed,agenda.submitted");
  ASSERT_TRUE(reader.wait_open());
  const std::string first = submit();
  ASSERT_TRUE(reader.wait_for(completed(first)));
  // Its agenda filter set once the id is known: only that one agenda's events.
  EventStreamReader one(client(), "/v1/events?agenda=" + first);
  ASSERT_TRUE(one.wait_open());
  const std::string second = submit();
  ASSERT_TRUE(reader.wait_for(completed(second)));
  for (const Json& event : event_documents(reader.events())) {
    const std::string type = event.value("type", "");
    EXPECT_TRUE(type == "agenda.completed" || type == "agenda.submitted") << event;
  }
  EXPECT_TRUE(one.events().empty()) << one.events().front().data;
}

TEST_F(EventStreamE2eTest, AMemberNeverSeesAnotherCustomersAgenda) {
  EventStreamReader member_a(client(member_token("cust-a")), "/v1/events");
  EventStreamReader member_b(client(member_token("cust-b")), "/v1/events");
  ASSERT_TRUE(member_a.wait_open());
  ASSERT_TRUE(member_b.wait_open());
  const std::string of_a = submit("cust-a");
  const std::string of_b = submit("cust-b");
  ASSERT_TRUE(member_a.wait_for(completed(of_a)));
  ASSERT_TRUE(member_b.wait_for(completed(of_b)));
  for (const Json& event : event_documents(member_a.events()))
    EXPECT_EQ(event.value("customerId", ""), "cust-a") << event;
  for (const Json& event : event_documents(member_b.events()))
    EXPECT_EQ(event.value("customerId", ""), "cust-b") << event;
}

class BoundedEventStreamE2eTest : public EventStreamE2eTest {
 protected:
  void configure(server::ServerConfig& config) override {
    config.event_streams.max_streams = 3;
    config.event_streams.max_streams_per_caller = 2;
  }
};

TEST_F(BoundedEventStreamE2eTest, StreamsBeyondTheBoundsAreRefusedWithTheReason) {
  EventStreamReader first(client(), "/v1/events");
  EventStreamReader second(client(), "/v1/events");
  ASSERT_TRUE(first.wait_open());
  ASSERT_TRUE(second.wait_open());
  auto third_of_admin = call("GET", "/v1/events");
  EXPECT_EQ(third_of_admin.status, 429);
  EXPECT_NE(third_of_admin.body.find("--max-event-streams-per-caller"), std::string::npos);
  EventStreamReader member(client(member_token("cust-a")), "/v1/events");
  ASSERT_TRUE(member.wait_open());
  auto over_all =
      call("GET", "/v1/events", "", {{"Authorization", "Bearer " + member_token("cust-b")}});
  EXPECT_EQ(over_all.status, 503);
  EXPECT_NE(over_all.body.find("--max-event-streams"), std::string::npos);
  // A stream that ends gives its place back.
  second.stop();
  EXPECT_TRUE(pop::testing::eventually([&] {
    EventStreamReader again(client(), "/v1/events");
    return again.wait_open();
  }));
}

class AgingEventStreamE2eTest : public EventStreamE2eTest {
 protected:
  void configure(server::ServerConfig& config) override {
    config.event_streams.keep_alive = std::chrono::milliseconds(20);
    config.event_streams.max_age = std::chrono::milliseconds(50);
  }
};

TEST_F(AgingEventStreamE2eTest, AnOldStreamIsEndedAndItsTokenCheckedAgainOnReconnect) {
  const std::string token = member_token("cust-a");
  EventStreamReader reader(client(token), "/v1/events");
  ASSERT_TRUE(reader.wait_open());
  EXPECT_TRUE(reader.wait_ended());
  const Json tokens = Json::parse(call("GET", "/v1/tokens").body);
  for (const Json& issued : tokens.value("items", Json::array())) {
    if (issued.value("role", "") == "member")
      call("DELETE", "/v1/tokens/" + issued.value("id", ""));
  }
  EventStreamReader again(client(token), "/v1/events", reader.last_id());
  ASSERT_TRUE(again.wait_ended());
  EXPECT_EQ(again.status(), 401);
}

TEST_F(EventStreamE2eTest, StoppingTheServerEndsEveryStreamPromptly) {
  EventStreamReader reader(client(), "/v1/events");
  ASSERT_TRUE(reader.wait_open());
  stop_server();
  EXPECT_TRUE(reader.wait_ended(std::chrono::seconds(5)));
}

}  // namespace
}  // namespace pop::api
