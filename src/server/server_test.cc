// The server assembled in-process: what `pop server` runs, started and stopped by the test,
// several at once and on one store.
#include "server/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <set>
#include <thread>

#include "auth/admin_token_file.h"
#include "http_client/json_request.h"
#include "puller/http_work_source.h"
#include "puller/puller_agent.h"
#include "runner/local/local_runner.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/api_client.h"
#include "testing/captured_log.h"
#include "testing/postgres_cluster.h"
#include "testing/subprocess.h"
#include "util/temp_dir.h"

namespace pop::server {
using Json = nlohmann::json;

namespace {

namespace fs = std::filesystem;

class ServerAssemblyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("pop-server-assembly-");
    ASSERT_TRUE(dir.has_value());
    dir_.emplace(std::move(*dir));
  }

  // Port 0, its own data directory under the test's, this test's log.
  ServerConfig config(const std::string& name) {
    ServerConfig config;
    config.port = 0;
    config.data_directory = dir_->path() / name;
    config.registry = HandlerRegistry::builtin(POP_BINARY);
    config.logger = &log_;
    return config;
  }

  static std::unique_ptr<Server> start(ServerConfig config) {
    auto server = Server::start(std::move(config));
    if (!server) throw std::runtime_error(server.error().message);
    return std::move(*server);
  }

  // Replicas "a", "b" and "c" on one database, started in that order.
  std::vector<std::unique_ptr<Server>> start_replicas(
      const pop::testing::PostgresCluster& database) {
    std::vector<std::unique_ptr<Server>> replicas;
    for (const char* name : {"a", "b", "c"}) {
      ServerConfig replica = config(name);
      replica.store_uri = database.uri();
      replicas.push_back(start(std::move(replica)));
    }
    return replicas;
  }
  // The database's admin token, which the first replica to start ("a") wrote.
  std::string first_admin_token() const {
    return auth::read_admin_token_file(dir_->path() / "a" / auth::kAdminTokenFileName).value_or("");
  }

  // A client of `server` as the bearer of `token` (its admin token when none).
  static http_client::Client client(Server& server, std::string token = {}) {
    if (token.empty())
      token = auth::read_admin_token_file(server.data_directory() / auth::kAdminTokenFileName)
                  .value_or("");
    return pop::testing::api_client(server.url(), token);
  }

  // An embedded puller with the local runner.
  static EmbeddedPullerConfig local_puller() {
    return EmbeddedPullerConfig{[](const fs::path& work_root, const std::string&, Logger&,
                                   Clock& clock) -> Result<std::unique_ptr<Runner>> {
      auto runner = LocalRunner::create({.work_root = work_root, .clock = &clock});
      if (!runner) return fail(runner.error());
      return std::unique_ptr<Runner>(std::move(*runner));
    }};
  }

  // A standalone puller of the default pool (what `pop puller --server URL` runs) with the
  // local runner, in-process; stopped when it goes.
  class HttpPuller {
   public:
    HttpPuller(const std::string& url, const std::string& token, const fs::path& work_root,
               const std::string& id)
        : registry_(HandlerRegistry::builtin(POP_BINARY)) {
      fs::create_directories(work_root);
      auto source =
          puller::HttpWorkSource::create({.base_url = url, .bearer_token = token}, "default", id);
      auto runner = LocalRunner::create({.work_root = work_root});
      if (!source || !runner) throw std::runtime_error("cannot start a puller");
      source_ = std::move(*source);
      runner_ = std::move(*runner);
      puller::AgentOptions options;
      options.capacity = 4;
      options.report_interval = std::chrono::milliseconds(500);
      options.report_url = url + "/v1/reports";
      options.pull_wait = std::chrono::seconds(1);  // so that it stops within a second
      agent_ = std::make_unique<puller::PullerAgent>(*source_, registry_, *runner_, options);
      thread_ = std::thread([this] { agent_->run(); });
    }
    ~HttpPuller() {
      agent_->stop();
      thread_.join();
    }

   private:
    HandlerRegistry registry_;
    std::unique_ptr<puller::HttpWorkSource> source_;
    std::unique_ptr<LocalRunner> runner_;
    std::unique_ptr<puller::PullerAgent> agent_;
    std::thread thread_;
  };

  // Four operations of the sample handler; the last one's result is [2, 3].
  static Json diamond() {
    return Json::parse(R"({
      "operations": [
        {"name": "top", "type": "sample", "payload": {"resultPayload": {"n": 2}}},
        {"name": "left", "type": "sample", "payload": {"resultPayload": "@<top.out::n>"}},
        {"name": "right", "type": "sample", "payload": {"resultPayload": 3}},
        {"name": "join", "type": "sample",
         "payload": {"resultPayload": ["@<left.out>", "@<right.out>"]}}]})");
  }

  // The agenda's progress once it is COMPLETE, or as last read when it is not within `limit`.
  // See its definition.
  void expect_nothing_acknowledged_lost(Server& server, const std::function<void()>& disrupt,
                                        const std::function<std::string()>& stored_count);

  static Json final_progress(http_client::Client& client, const std::string& id,
                             std::chrono::seconds limit = std::chrono::seconds(30)) {
    Json progress;
    pop::testing::eventually(
        [&] {
          auto read = http_client::request_json(client, "GET", "/v1/agendas/" + id + "/progress");
          if (read) progress = *read;
          return read && progress["processingState"] == "COMPLETE";
        },
        limit);
    return progress;
  }

  // What the servers logged, a line per event, for a failure's message.
  std::string logged() const {
    std::string all;
    for (const auto& event : log_.events()) {
      all += event.message;
      for (const auto& [key, value] : event.fields) all += " " + key + "=" + value;
      all += "\n";
    }
    return all;
  }

  std::optional<TempDir> dir_;
  pop::testing::CapturedLog log_;
};

TEST_F(ServerAssemblyTest, RunsADiamondWithItsEmbeddedPuller) {
  ServerConfig with_puller = config("one");
  with_puller.embedded_puller = local_puller();
  auto server = start(std::move(with_puller));
  auto admin = client(*server);
  auto submitted = http_client::request_json(admin, "POST", "/v1/agendas", diamond());
  ASSERT_TRUE(submitted) << submitted.error().message;
  const std::string id = (*submitted)["id"];
  const Json progress = final_progress(admin, id);
  ASSERT_EQ(progress.value("processingState", ""), "COMPLETE") << progress.dump(2);
  EXPECT_EQ(progress["processingStateMessage"], "succeeded") << progress.dump(2);
  EXPECT_EQ(progress["operationProgress"][3]["resultPayload"], Json::array({2, 3}));
  server->stop();
  server->stop();  // idempotent
}

TEST_F(ServerAssemblyTest, ThreeServersOnOneStoreServeTheSameAgendasAndTokens) {
  store::sqlite::SqliteStoreOptions store_options;
  store_options.data_directory = dir_->path() / "store";
  fs::create_directories(store_options.data_directory);
  auto store = store::sqlite::SqliteStore::open(store_options);
  ASSERT_TRUE(store) << store.error().message;
  std::vector<std::unique_ptr<Server>> servers;
  for (const char* name : {"a", "b", "c"}) {
    ServerConfig shared = config(name);
    shared.shared_store = store->get();
    servers.push_back(start(std::move(shared)));
  }
  auto a = client(*servers[0]);
  auto submitted = http_client::request_json(
      a, "POST", "/v1/agendas",
      Json::parse(R"({"operations": [{"name": "x", "type": "sample"}]})"));
  ASSERT_TRUE(submitted) << submitted.error().message;
  const std::string id = (*submitted)["id"];
  // A member token issued through one server is a credential on the others: tokens live in
  // the store.
  auto issued = http_client::request_json(a, "POST", "/v1/tokens",
                                          Json{{"role", "member"}, {"customerIds", {"acme"}}});
  ASSERT_TRUE(issued) << issued.error().message;
  for (auto& server : servers) {
    auto admin = client(*server);
    auto agenda = http_client::request_json(admin, "GET", "/v1/agendas/" + id);
    ASSERT_TRUE(agenda) << server->url() << ": " << agenda.error().message;
    EXPECT_EQ((*agenda)["id"], id);
    auto member = client(*server, (*issued)["token"]);
    auto theirs = http_client::request_json(member, "GET", "/v1/agendas");
    ASSERT_TRUE(theirs) << server->url() << ": " << theirs.error().message;
    auto others = http_client::request_json(member, "GET", "/v1/agendas/" + id);
    ASSERT_FALSE(others) << "a member of acme read the default customer's agenda";
    EXPECT_EQ(others.error().code, ErrorCode::kNotFound) << others.error().message;
  }
  // Each server bootstrapped its own admin token, into its own data directory.
  EXPECT_EQ(log_.with_message("created an admin token").size(), 3u);
}

TEST_F(ServerAssemblyTest, ReplicasOnOnePostgresDatabaseShareAgendasTokensAndOneAdminToken) {
  pop::testing::PostgresCluster database;
  auto replicas = start_replicas(database);
  // The first to start keeps the one pool's queues: the others find it owned.
  EXPECT_EQ(log_.with_message("took the queues of a pool over").size(), 1u) << logged();
  // The first replica on the empty database issued the admin token; it works on all three.
  EXPECT_EQ(log_.with_message("created an admin token").size(), 1u);
  for (const char* name : {"b", "c"})
    EXPECT_FALSE(fs::exists(dir_->path() / name / auth::kAdminTokenFileName)) << name;
  const std::string admin_token = first_admin_token();
  ASSERT_FALSE(admin_token.empty());
  // A puller of B, which does not own the pool: B sends it to A.
  HttpPuller puller(replicas[1]->url(), admin_token, dir_->path() / "puller", "puller-b");
  auto through_b = client(*replicas[1], admin_token);
  auto submitted = http_client::request_json(through_b, "POST", "/v1/agendas", diamond());
  ASSERT_TRUE(submitted) << submitted.error().message;
  const std::string id = (*submitted)["id"];
  auto through_c = client(*replicas[2], admin_token);
  const Json progress = final_progress(through_c, id);
  ASSERT_EQ(progress.value("processingState", ""), "COMPLETE") << progress.dump(2);
  EXPECT_EQ(progress["processingStateMessage"], "succeeded") << progress.dump(2);
  // Restarted, the first replica does not issue another token: the database has one. It
  // gave the pool up as it stopped, and another replica took it over.
  replicas[0]->stop();
  EXPECT_TRUE(pop::testing::eventually([&] {
    return log_.with_message("took the queues of a pool over").size() == 2u;
  })) << logged();
  replicas[0].reset();
  fs::remove(dir_->path() / "a" / auth::kAdminTokenFileName);
  ServerConfig again = config("a");
  again.store_uri = database.uri();
  replicas[0] = start(std::move(again));
  EXPECT_EQ(log_.with_message("created an admin token").size(), 1u);
  auto through_a = client(*replicas[0], admin_token);
  auto listed = http_client::request_json(through_a, "GET", "/v1/agendas");
  ASSERT_TRUE(listed) << listed.error().message;
}

// Replicas racing to bootstrap an empty database: one token is kept, in one file; the
// losers take theirs back.
TEST_F(ServerAssemblyTest, ReplicasStartingTogetherOnAnEmptyDatabaseKeepOneAdminToken) {
  pop::testing::PostgresCluster database;
  constexpr int kReplicas = 4;
  std::vector<std::unique_ptr<Server>> replicas(kReplicas);
  std::vector<std::thread> starting;
  for (int i = 0; i < kReplicas; ++i) {
    starting.emplace_back([&, i] {
      ServerConfig replica = config("r" + std::to_string(i));
      replica.store_uri = database.uri();
      auto started = Server::start(std::move(replica));
      if (started) replicas[i] = std::move(*started);
    });
  }
  for (auto& thread : starting) thread.join();
  std::vector<std::string> tokens;
  for (int i = 0; i < kReplicas; ++i) {
    ASSERT_TRUE(replicas[i]) << "replica " << i << " did not start";
    const auto file = dir_->path() / ("r" + std::to_string(i)) / auth::kAdminTokenFileName;
    if (fs::exists(file)) tokens.push_back(auth::read_admin_token_file(file).value_or(""));
  }
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(log_.with_message("created an admin token").size(), 1u);
  for (auto& replica : replicas) {
    auto admin = client(*replica, tokens.front());
    EXPECT_TRUE(http_client::request_json(admin, "GET", "/v1/agendas")) << replica->url();
  }
}

// What one replica queues or reconfigures, the others learn by notification: an insight
// created through B binds an agenda submitted through C, which A (the pool's owner) queues
// and hands to a puller that asked C.
TEST_F(ServerAssemblyTest, ReplicasRunWhatAnyOfThemQueuedOnAnInsightAnyOfThemCreated) {
  pop::testing::PostgresCluster database;
  auto replicas = start_replicas(database);
  const std::string admin_token = first_admin_token();
  HttpPuller puller(replicas[2]->url(), admin_token, dir_->path() / "puller", "puller-c");
  auto through_b = client(*replicas[1], admin_token);
  auto created = http_client::request_json(
      through_b, "POST", "/v1/insights",
      Json::parse(R"({"id": "lane-x", "resourcePoolId": "default", "queueSize": 2,
                      "isGlobal": true, "mappers": {"paramMap": ["lane=x"]}})"));
  ASSERT_TRUE(created) << created.error().message;
  // C has the insight's queue as soon as the notification arrives (a pool lists the
  // insights of the answering server's queues).
  auto through_c = client(*replicas[2], admin_token);
  ASSERT_TRUE(pop::testing::eventually([&] {
    auto pool = http_client::request_json(through_c, "GET", "/v1/pools/default");
    return pool && (*pool)["insightIds"].dump().find("lane-x") != std::string::npos;
  })) << logged();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    Json agenda = diamond();
    agenda["params"] = {{"lane", "x"}};
    auto submitted = http_client::request_json(through_c, "POST", "/v1/agendas", agenda);
    ASSERT_TRUE(submitted) << submitted.error().message;
    EXPECT_EQ((*submitted)["agendaInsight"]["insightId"], "lane-x");
    ids.push_back((*submitted)["id"]);
  }
  auto through_a = client(*replicas[0], admin_token);
  for (const std::string& id : ids) {
    const Json progress = final_progress(through_a, id);
    ASSERT_EQ(progress.value("processingState", ""), "COMPLETE") << progress.dump(2);
    EXPECT_EQ(progress["processingStateMessage"], "succeeded") << progress.dump(2);
  }
}

// Cancel, rerun and delete through one replica take effect for an agenda that a puller of
// another pulled (through the pool's owner): the lease is revoked in the database, so the
// puller's next report is refused and it stops the handler.
TEST_F(ServerAssemblyTest, CancelRerunAndDeleteThroughOneReplicaReachAnAgendaPulledThroughAnother) {
  pop::testing::PostgresCluster database;
  auto replicas = start_replicas(database);
  const std::string admin_token = first_admin_token();
  HttpPuller puller(replicas[2]->url(), admin_token, dir_->path() / "puller", "puller-c");
  auto through_b = client(*replicas[1], admin_token);
  auto through_c = client(*replicas[2], admin_token);
  const Json long_running = Json::parse(R"({"operations": [{"name": "long", "type": "sample",
      "payload": {"actions": [{"action": "log",
                               "paramsMap": {"logMessage": "busy", "sleepMilliseconds": 60000}}]}}]})");
  auto running = [&](const std::string& id) {
    return pop::testing::eventually([&] {
      auto progress =
          http_client::request_json(through_c, "GET", "/v1/agendas/" + id + "/progress");
      return progress && (*progress)["processingState"] == "EXECUTING" &&
             (*progress)["operationProgress"][0]["processingStateMessage"] == "running";
    });
  };
  auto submitted = http_client::request_json(through_c, "POST", "/v1/agendas", long_running);
  ASSERT_TRUE(submitted) << submitted.error().message;
  const std::string id = (*submitted)["id"];
  ASSERT_TRUE(running(id)) << logged();

  auto cancelled = http_client::request_json(through_b, "POST", "/v1/agendas/" + id + "/cancel");
  ASSERT_TRUE(cancelled) << cancelled.error().message;
  // The puller's next report is refused: it stops the handler and reports nothing more.
  const Json stopped = final_progress(through_c, id);
  EXPECT_EQ(stopped["processingStateMessage"], "cancelled") << stopped.dump(2);
  // (The runner removes an attempt's work directory when its handler has ended.)
  const fs::path work = dir_->path() / "puller";
  EXPECT_TRUE(pop::testing::eventually([&] { return fs::is_empty(work); }));

  auto rerun = http_client::request_json(through_b, "POST", "/v1/agendas/" + id + "/rerun");
  ASSERT_TRUE(rerun) << rerun.error().message;
  ASSERT_TRUE(running(id)) << "the rerun was not pulled again";
  EXPECT_FALSE(fs::is_empty(work));

  auto removed = through_b.request("DELETE", "/v1/agendas/" + id);
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->status, 204) << removed->body;
  auto gone = http_client::request_json(through_c, "GET", "/v1/agendas/" + id);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  // The puller stops the deleted agenda's handler too.
  EXPECT_TRUE(pop::testing::eventually([&] { return fs::is_empty(work); }));
}

// A customer's quota of waiting agendas holds when its submits race through every replica:
// the count is taken in the inserting transaction, not in one replica's memory.
TEST_F(ServerAssemblyTest, AWaitingQuotaHoldsUnderConcurrentSubmitsToAllReplicas) {
  pop::testing::PostgresCluster database;
  auto replicas = start_replicas(database);
  const std::string admin_token = first_admin_token();
  auto admin = client(*replicas[1], admin_token);
  ASSERT_TRUE(http_client::request_json(admin, "POST", "/v1/customers",
                                        Json{{"id", "acme"}, {"maxWaitingAgendas", 5}}));
  constexpr int kThreads = 6;
  constexpr int kEach = 5;
  std::atomic<int> accepted{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto through = client(*replicas[static_cast<std::size_t>(t) % replicas.size()], admin_token);
      for (int i = 0; i < kEach; ++i) {
        auto answer = through.request(
            "POST", "/v1/agendas",
            R"({"customerId": "acme", "operations": [{"name": "a", "type": "sample"}]})",
            {{"Content-Type", "application/json"}});
        ASSERT_TRUE(answer.has_value()) << answer.error().message;
        if (answer->status == 201) ++accepted;
        if (answer->status == 429) ++refused;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), 5);
  EXPECT_EQ(refused.load(), kThreads * kEach - 5);
  EXPECT_EQ(database.psql("SELECT count(*) FROM agendas WHERE customer_id = 'acme'").out, "5\n");
}

// Clients submit agendas of two noop operations through `server` while its embedded puller
// runs them, each submit retried with its idempotency key until it is acknowledged; `disrupt`
// runs once 40 are in. Then every acknowledged agenda exists once (`stored_count` counts the
// database's agendas) and succeeded.
void ServerAssemblyTest::expect_nothing_acknowledged_lost(
    Server& server, const std::function<void()>& disrupt,
    const std::function<std::string()>& stored_count) {
  constexpr int kClients = 4;
  constexpr int kPerClient = 40;
  std::atomic<int> acknowledged{0};
  std::atomic<int> refused{0};
  std::vector<std::set<std::string>> ids(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto client = this->client(server);
      for (int i = 0; i < kPerClient; ++i) {
        http_client::Request submit = http_client::json_request(
            "POST", "/v1/agendas", Json::parse(R"({"operations": [{"name": "a", "type": "noop"},
                                           {"name": "b", "type": "noop"}]})"));
        submit.headers["Idempotency-Key"] = "key-" + std::to_string(c) + "-" + std::to_string(i);
        for (int attempt = 0;; ++attempt) {
          auto answer = http_client::json_result(client.send(submit));
          if (answer) {
            ids[c].insert((*answer)["id"].get<std::string>());
            ++acknowledged;
            break;
          }
          ++refused;
          ASSERT_LT(attempt, 400) << answer.error().message;
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    });
  }
  ASSERT_TRUE(pop::testing::eventually([&] { return acknowledged.load() >= 40; }));
  const auto disrupted = std::chrono::steady_clock::now();
  disrupt();
  const int before = acknowledged.load();
  if (pop::testing::eventually([&] { return acknowledged.load() > before; },
                               std::chrono::seconds(60))) {
    std::printf(
        "submits acknowledged again %.2f s after the disruption began\n",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - disrupted).count());
  }
  for (auto& client : clients) client.join();
  EXPECT_GT(refused.load(), 0) << "the disruption fell between the submits";
  std::set<std::string> all;
  for (const auto& mine : ids) all.insert(mine.begin(), mine.end());
  ASSERT_EQ(all.size(), std::size_t{kClients * kPerClient});
  EXPECT_EQ(stored_count(), std::to_string(kClients * kPerClient) + "\n");
  auto admin = client(server);
  for (const std::string& id : all) {
    const Json progress = final_progress(admin, id, std::chrono::seconds(60));
    ASSERT_EQ(progress.value("processingState", ""), "COMPLETE") << progress.dump(2);
    EXPECT_EQ(progress["processingStateMessage"], "succeeded") << progress.dump(2);
  }
}

// PostgreSQL stopped as a crash stops it, and started again, while clients submit and the
// embedded puller runs what they submitted: the server reconnects by itself.
TEST_F(ServerAssemblyTest, APostgresRestartMidRunLosesNothingAcknowledged) {
  pop::testing::PostgresCluster database;
  ServerConfig replica = config("a");
  replica.store_uri = database.uri();
  replica.lease_duration = std::chrono::seconds(2);
  replica.embedded_puller = local_puller();
  auto server = start(std::move(replica));
  expect_nothing_acknowledged_lost(
      *server,
      [&] {
        database.stop_immediately();
        std::this_thread::sleep_for(std::chrono::seconds(1));
        database.start();
      },
      [&] { return database.psql("SELECT count(*) FROM agendas").out; });
}

// A primary with a synchronous streaming standby, the server on a multi-host URI that wants
// a writable server: the primary crashes mid-run, the standby is promoted, and the server
// finds it by itself; every commit acknowledged was on the standby too.
TEST_F(ServerAssemblyTest, AStandbyPromotedAfterThePrimaryCrashesLosesNothingAcknowledged) {
  pop::testing::PostgresCluster primary;
  pop::testing::PostgresCluster standby(primary, pop::testing::PostgresCluster::Standby{});
  primary.require_synchronous_standby();
  ASSERT_TRUE(pop::testing::eventually([&] {
    return primary.psql("SELECT sync_state FROM pg_stat_replication").out == "sync\n";
  })) << "the standby does not stream synchronously";
  ServerConfig replica = config("a");
  replica.store_uri = "postgresql:///postgres?host=" + primary.socket_directory().string() + "," +
                      standby.socket_directory().string() +
                      "&user=postgres&target_session_attrs=read-write";
  replica.lease_duration = std::chrono::seconds(2);
  replica.embedded_puller = local_puller();
  auto server = start(std::move(replica));
  expect_nothing_acknowledged_lost(
      *server,
      [&] {
        primary.stop_immediately();
        standby.promote();
      },
      [&] { return standby.psql("SELECT count(*) FROM agendas").out; });
}

TEST_F(ServerAssemblyTest, AFailedStartNamesThePartAndReleasesWhatItTook) {
  auto first = start(config("first"));
  ServerConfig clash = config("second");
  clash.port = first->port();
  auto refused = Server::start(clash);
  ASSERT_FALSE(refused);
  EXPECT_NE(
      refused.error().message.find("cannot listen on 127.0.0.1:" + std::to_string(first->port())),
      std::string::npos)
      << refused.error().message;
  // Its data directory (and the store in it) was let go: a server starts on it at once.
  clash.port = 0;
  auto second = Server::start(clash);
  EXPECT_TRUE(second) << second.error().message;

  ServerConfig small = config("third");
  small.max_body_memory_bytes = 1;
  auto too_small = Server::start(small);
  ASSERT_FALSE(too_small);
  EXPECT_EQ(too_small.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(too_small.error().message.find("--max-body-memory (1 bytes)"), std::string::npos)
      << too_small.error().message;
}

}  // namespace
}  // namespace pop::server
