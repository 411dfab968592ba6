#include "server/event_log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "server/server_fixture.h"
#include "testing/subprocess.h"

namespace pop::server {
namespace {

class EventLogTest : public ServerFixture {};

// An agenda's way through is in the server's log, once per change, with its id and customer;
// an operation's state is at debug level, below the server's info.
TEST_F(EventLogTest, EachAgendaChangeIsLoggedOnceWithTheAgendaAndItsCustomer) {
  auto submitted =
      call("POST", "/v1/agendas", R"({"operations": [{"name": "a", "type": "noop"}]})");
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  const std::string id = nlohmann::json::parse(submitted.body).value("id", "");
  ASSERT_EQ(wait_for_outcome(id)["processingStateMessage"], "succeeded");
  const auto count = [&](const std::string& text) {
    const std::string log = log_text();
    std::size_t found = 0;
    for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++found;
    return found;
  };
  const std::string agenda = " agenda=" + id + " customer=default";
  ASSERT_TRUE(pop::testing::eventually([&] { return count("agenda.completed" + agenda) == 1; }))
      << log_text();
  EXPECT_EQ(count("agenda.submitted" + agenda), 1u) << log_text();
  EXPECT_EQ(count("agenda.leased" + agenda), 1u) << log_text();
  EXPECT_EQ(count("operation.state"), 0u) << log_text();
}

}  // namespace
}  // namespace pop::server
