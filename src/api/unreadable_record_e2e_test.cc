// End to end: an agenda whose stored row was damaged behind a running `pop server`'s back
// (with the sqlite3 API, as a disk error or a stray tool would) fails its own reads with a
// 500 and is logged, while the listings go on serving its neighbours.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "server/server_fixture.h"

namespace pop::api {
using Json = nlohmann::json;

namespace {

class UnreadableRecordTest : public pop::server::ServerFixture {
 protected:
  void configure(server::ServerConfig& config) override { config.embedded_puller.reset(); }
};

TEST_F(UnreadableRecordTest, ADamagedAgendaFailsAloneAndListingsServeTheRest) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto submitted =
        call("POST", "/v1/agendas", R"({"operations": [{"name": "a", "type": "sample"}]})");
    ASSERT_EQ(submitted.status, 201) << submitted.body;
    ids.push_back(Json::parse(submitted.body)["id"]);
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((data_dir() / "pop.db").c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  // The document fails reads of the agenda; the progress state, which listings read (they
  // read no document), leaves it out of them.
  const std::string damage =
      "UPDATE agendas SET document = '{not json' WHERE id = '" + ids[1] +
      "'; UPDATE progress SET processing_state = 'SIDEWAYS' WHERE agenda_sequence = "
      "(SELECT sequence FROM agendas WHERE id = '" +
      ids[1] + "')";
  EXPECT_EQ(sqlite3_exec(db, damage.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);

  EXPECT_EQ(call("GET", "/v1/agendas/" + ids[1]).status, 500);
  EXPECT_EQ(call("GET", "/v1/agendas/" + ids[0]).status, 200);
  for (const std::string limit : {"1", "100"}) {
    std::vector<std::string> listed;
    std::string target = "/v1/agendas?limit=" + limit;
    for (int pages = 0; pages < 5; ++pages) {
      auto page = call("GET", target);
      ASSERT_EQ(page.status, 200) << page.body;
      const Json body = Json::parse(page.body);
      for (const auto& item : body["items"]) listed.push_back(item["id"]);
      if (!body.contains("nextCursor")) break;
      target = "/v1/agendas?limit=" + limit + "&cursor=" + body["nextCursor"].get<std::string>();
    }
    EXPECT_EQ(listed, (std::vector<std::string>{ids[0], ids[2]})) << "limit " << limit;
  }
  EXPECT_NE(log_text().find("unreadable record"), std::string::npos) << log_text();
  EXPECT_NE(log_text().find(ids[1]), std::string::npos);
}

}  // namespace
}  // namespace pop::api
