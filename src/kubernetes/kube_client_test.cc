// The Kubernetes client against a scripted HTTP server whose every answer the tests choose.
#include "kubernetes/kube_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <thread>
#include <tuple>
#include <vector>

#include "http_client/test_server.h"
#include "kubernetes/kube_status.h"
#include "util/clock.h"
#include "util/temp_dir.h"

namespace pop::kubernetes {
namespace {

using http_client::testing::Connection;
using http_client::testing::ReceivedRequest;
using http_client::testing::TestServer;
using namespace std::chrono_literals;

std::string status_body(int code, const std::string& reason, const std::string& message) {
  return Json{{"kind", "Status"},   {"apiVersion", "v1"}, {"status", "Failure"},
              {"message", message}, {"reason", reason},   {"code", code}}
      .dump();
}

std::string pod_body(const std::string& name, const std::string& version = "1") {
  return Json{{"kind", "Pod"},
              {"metadata", {{"name", name}, {"namespace", "ns"}, {"resourceVersion", version}}}}
      .dump();
}

Json new_pod(const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", name}}}};
}

KubeConfig config_for(const TestServer& server) {
  KubeConfig config;
  config.server = server.base_url();
  config.proxy_url = "";
  config.token = "secret-token";
  config.origin = "test";
  return config;
}

// Quick retries so that storms pass in milliseconds.
KubeClientOptions fast_options() {
  KubeClientOptions options;
  options.rate_limit = {.requests_per_second = 0, .burst = 1};
  options.retry = {
      .max_attempts = 8, .initial_delay = 5ms, .max_delay = 40ms, .max_elapsed = 10000ms};
  return options;
}

std::unique_ptr<KubeClient> make_client(const TestServer& server,
                                        KubeClientOptions options = fast_options()) {
  auto client = KubeClient::create(config_for(server), std::move(options));
  EXPECT_TRUE(client) << client.error().message;
  return std::move(*client);
}

TEST(KubeClient, GetsAPodWithTheBearerToken) {
  auto server = TestServer::start_tcp([](const ReceivedRequest&, Connection& c) {
    c.respond(200, pod_body("p-1"), {"Content-Type: application/json"});
  });
  auto client = make_client(*server);
  auto pod = client->get_pod("ns", "p-1");
  ASSERT_TRUE(pod) << pod.error().message;
  EXPECT_EQ((*pod)["metadata"]["name"], "p-1");
  const auto requests = server->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/api/v1/namespaces/ns/pods/p-1");
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer secret-token");
}

TEST(KubeClient, HonoursRetryAfterOn429ThenSucceeds) {
  std::atomic<int> calls{0};
  auto server = TestServer::start_tcp([&](const ReceivedRequest&, Connection& c) {
    if (calls.fetch_add(1) == 0) {
      c.respond(429, status_body(429, "TooManyRequests", "slow down"), {"Retry-After: 1"});
    } else {
      c.respond(200, pod_body("p"));
    }
  });
  ManualClock clock;
  KubeClientOptions options = fast_options();
  options.clock = &clock;
  auto client = make_client(*server, options);
  auto pod = std::async(std::launch::async, [&] { return client->get_pod("ns", "p"); });
  // The server's second, not the 5 ms back-off.
  EXPECT_TRUE(clock.await_deadlines(
      [](const auto& deadlines) {
        return deadlines == std::vector<Clock::SteadyTime>{Clock::SteadyTime{} + 1s};
      },
      10s));
  EXPECT_EQ(calls.load(), 1);  // no retry while the clock stands still
  clock.advance(1s);
  // Otherwise the wait ends by the clock, so that the test fails rather than hangs.
  if (pod.wait_for(30s) != std::future_status::ready) clock.advance(1h);
  const auto got = pod.get();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(client->stats().retries, 1u);
}

TEST(KubeClient, RidesOutA500StormAndRetriesEveryTransientStatus) {
  std::atomic<int> calls{0};
  const int statuses[] = {500, 502, 503, 504, 500};
  auto server = TestServer::start_tcp([&](const ReceivedRequest&, Connection& c) {
    const int call = calls.fetch_add(1);
    if (call < 5) {
      c.respond(statuses[call], status_body(statuses[call], "InternalError", "storm"));
    } else {
      c.respond(200, pod_body("p"));
    }
  });
  auto client = make_client(*server);
  auto pod = client->get_pod("ns", "p");
  ASSERT_TRUE(pod) << pod.error().message;
  EXPECT_EQ(calls.load(), 6);
  EXPECT_EQ(client->stats().requests, 6u);
}

TEST(KubeClient, GivesUpAfterTheBoundWithTheLastError) {
  std::atomic<int> calls{0};
  auto server = TestServer::start_tcp([&](const ReceivedRequest&, Connection& c) {
    calls.fetch_add(1);
    c.respond(503, status_body(503, "ServiceUnavailable", "apiserver is shutting down"));
  });
  KubeClientOptions options = fast_options();
  options.retry.max_attempts = 3;
  auto client = make_client(*server, options);
  auto pod = client->get_pod("ns", "p");
  ASSERT_FALSE(pod);
  EXPECT_EQ(pod.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(pod.error().message, "apiserver is shutting down");
  EXPECT_EQ(calls.load(), 3);
}

TEST(KubeClient, RetriesWhenTheConnectionDrops) {
  std::atomic<int> calls{0};
  auto server = TestServer::start_tcp([&](const ReceivedRequest&, Connection& c) {
    if (calls.fetch_add(1) < 2) {
      c.close_after();  // no answer at all
      return;
    }
    c.respond(200, pod_body("p"));
  });
  auto client = make_client(*server);
  auto pod = client->get_pod("ns", "p");
  ASSERT_TRUE(pod) << pod.error().message;
  EXPECT_EQ(calls.load(), 3);
}

TEST(KubeClient, MapsStatusBodiesToErrors) {
  auto server = TestServer::start_tcp([](const ReceivedRequest& r, Connection& c) {
    if (r.target.find("/pods/missing") != std::string::npos) {
      c.respond(404, status_body(404, "NotFound", "pods \"missing\" not found"));
    } else if (r.method == "POST") {
      c.respond(422, status_body(422, "Invalid", "Pod \"Bad\" is invalid: metadata.name"));
    } else {
      c.respond(403, status_body(403, "Forbidden",
                                 "pods is forbidden: User \"pop\" cannot list resource"));
    }
  });
  auto client = make_client(*server);
  auto missing = client->get_pod("ns", "missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message, "pods \"missing\" not found");
  auto invalid = client->create_pod("ns", new_pod("Bad"));
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalidArgument);
  auto forbidden = client->list_pods("ns", "");
  ASSERT_FALSE(forbidden);
  EXPECT_EQ(forbidden.error().code, ErrorCode::kForbidden);
  EXPECT_EQ(forbidden.error().message, "pods is forbidden: User \"pop\" cannot list resource");
}

TEST(KubeClient, CreateIsRepeatedAfter429AndSentAsJson) {
  std::atomic<int> calls{0};
  auto server = TestServer::start_tcp([&](const ReceivedRequest& r, Connection& c) {
    if (calls.fetch_add(1) == 0) {
      c.respond(429, status_body(429, "TooManyRequests", "later"), {"Retry-After: 0"});
      return;
    }
    const Json body = Json::parse(r.body);
    c.respond(201, pod_body(body["metadata"]["name"]));
  });
  auto client = make_client(*server);
  auto created = client->create_pod("ns", new_pod("p-1"));
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ((*created)["metadata"]["name"], "p-1");
  const auto requests = server->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].method, "POST");
  EXPECT_EQ(requests[1].target, "/api/v1/namespaces/ns/pods");
  EXPECT_EQ(requests[1].header("Content-Type"), "application/json");
}

TEST(KubeClient, ACreateThatMayHaveHappenedCountsWhenTheNameIsTaken) {
  std::atomic<int> calls{0};
  auto server = TestServer::start_tcp([&](const ReceivedRequest& r, Connection& c) {
    const int call = calls.fetch_add(1);
    if (r.method == "GET") {
      c.respond(200, pod_body("p-1", "42"));
    } else if (call == 0) {
      // Processed, but the answer is lost in an overloaded proxy.
      c.respond(504, status_body(504, "Timeout", "gateway timeout"));
    } else {
      c.respond(409, status_body(409, "AlreadyExists", "pods \"p-1\" already exists"));
    }
  });
  auto client = make_client(*server);
  auto created = client->create_pod("ns", new_pod("p-1"));
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ((*created)["metadata"]["resourceVersion"], "42");
  const auto requests = server->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[2].method, "GET");
  EXPECT_EQ(requests[2].target, "/api/v1/namespaces/ns/pods/p-1");
}

TEST(KubeClient, ANameTakenOnTheFirstTryIsAConflict) {
  auto server = TestServer::start_tcp([](const ReceivedRequest&, Connection& c) {
    c.respond(409, status_body(409, "AlreadyExists", "pods \"p-1\" already exists"));
  });
  auto client = make_client(*server);
  auto created = client->create_pod("ns", new_pod("p-1"));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kConflict);
  EXPECT_EQ(created.error().message, "pods \"p-1\" already exists");
}

TEST(KubeClient, ListsEveryPageWithTheFirstPagesResourceVersion) {
  auto server = TestServer::start_tcp([](const ReceivedRequest& r, Connection& c) {
    const bool second = r.target.find("continue=token%2B1") != std::string::npos;
    Json page = {
        {"kind", "PodList"},
        {"metadata",
         {{"resourceVersion", second ? "99" : "50"}, {"continue", second ? "" : "token+1"}}},
        {"items", Json::array({Json::parse(pod_body(second ? "b" : "a"))})}};
    c.respond(200, page.dump());
  });
  auto client = make_client(*server);
  auto list = client->list_pods("ns", "app.kubernetes.io/managed-by=pop,pop.runnerInstance=x");
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->items.size(), 2u);
  EXPECT_EQ(list->items[1]["metadata"]["name"], "b");
  EXPECT_EQ(list->resource_version, "50");
  const auto requests = server->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].target,
            "/api/v1/namespaces/ns/pods?limit=500&labelSelector=app.kubernetes.io%2Fmanaged-by%"
            "3Dpop%2Cpop.runnerInstance%3Dx");
}

TEST(KubeClient, ListsAcrossNamespaces) {
  auto server = TestServer::start_tcp([](const ReceivedRequest&, Connection& c) {
    c.respond(200, R"({"kind":"PodList","metadata":{"resourceVersion":"1"},"items":[]})");
  });
  auto client = make_client(*server);
  ASSERT_TRUE(client->list_pods("", "a=b"));
  EXPECT_EQ(server->requests()[0].target, "/api/v1/pods?limit=500&labelSelector=a%3Db");
}

TEST(KubeClient, DeletesWithAGracePeriodAndTakesAGonePodAsDeleted) {
  auto server = TestServer::start_tcp([](const ReceivedRequest& r, Connection& c) {
    if (r.target.find("/gone") != std::string::npos) {
      c.respond(404, status_body(404, "NotFound", "pods \"gone\" not found"));
    } else {
      c.respond(200, pod_body("p"));
    }
  });
  auto client = make_client(*server);
  ASSERT_TRUE(client->delete_pod("ns", "p", 7));
  ASSERT_TRUE(client->delete_pod("ns", "gone", 0));
  const auto requests = server->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "DELETE");
  EXPECT_EQ(requests[0].target, "/api/v1/namespaces/ns/pods/p?gracePeriodSeconds=7");
  EXPECT_EQ(Json::parse(requests[0].body)["gracePeriodSeconds"], 7);
}

TEST(KubeClient, ReadsTheLogWithTailAndLimit) {
  auto server = TestServer::start_tcp([](const ReceivedRequest&, Connection& c) {
    c.respond(200, "line 1\nline 2\n", {"Content-Type: text/plain"});
  });
  auto client = make_client(*server);
  auto log =
      client->pod_log("ns", "p", {.container = "handler", .tail_lines = 10, .limit_bytes = 4096});
  ASSERT_TRUE(log) << log.error().message;
  EXPECT_EQ(*log, "line 1\nline 2\n");
  EXPECT_EQ(server->requests()[0].target,
            "/api/v1/namespaces/ns/pods/p/log?container=handler&tailLines=10&limitBytes=4096");
}

// A followed log arrives piece by piece, as the kubelet sends it; it is counted as a follow,
// and a refusal (the container is not running) is an error naming it.
TEST(KubeClient, FollowsTheLogAsItComes) {
  auto server = TestServer::start_tcp([](const ReceivedRequest& r, Connection& c) {
    if (r.target.find("/waiting/") != std::string::npos) {
      c.respond(400, status_body(400, "BadRequest", "container is waiting to start"));
      return;
    }
    c.start_chunked(200, {"Content-Type: text/plain"});
    c.send_chunk("line 1\n");
    c.send_chunk("line 2\n");
    c.end_chunks();
  });
  auto client = make_client(*server);
  std::vector<std::string> chunks;
  auto followed = client->follow_pod_log("ns", "p", {.container = "handler", .limit_bytes = 9},
                                         [&](std::string_view chunk) {
                                           chunks.emplace_back(chunk);
                                           return true;
                                         });
  ASSERT_TRUE(followed) << followed.error().message;
  std::string log;
  for (const auto& chunk : chunks) log += chunk;
  EXPECT_EQ(log, "line 1\nline 2\n");
  EXPECT_EQ(server->requests()[0].target,
            "/api/v1/namespaces/ns/pods/p/log?container=handler&limitBytes=9&follow=true");
  auto refused = client->follow_pod_log("ns", "waiting", {}, [](std::string_view) { return true; });
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("waiting to start"), std::string::npos)
      << refused.error().message;
  std::vector<std::tuple<std::string, int, std::uint64_t>> counted;
  for (const CallCounts::Count& count : client->stats().by_verb)
    counted.emplace_back(count.what, count.status, count.calls);
  EXPECT_EQ(counted, (std::vector<std::tuple<std::string, int, std::uint64_t>>{
                         {"follow", 200, 1}, {"follow", 400, 1}}));
}

// Every attempt is counted by its verb and answer (for pop_kubernetes_requests_total).
TEST(KubeClient, CountsEveryAttemptByVerbAndStatus) {
  auto server = TestServer::start_tcp([](const ReceivedRequest& request, Connection& c) {
    if (request.target.find("/missing") != std::string::npos) {
      c.respond(404, status_body(404, "NotFound", "no such pod"));
    } else if (request.target.find("/log") != std::string::npos) {
      c.respond(200, "line\n", {"Content-Type: text/plain"});
    } else {
      c.respond(200, pod_body("p"));
    }
  });
  auto client = make_client(*server);
  ASSERT_TRUE(client->get_pod("ns", "p"));
  ASSERT_TRUE(client->get_pod("ns", "p"));
  EXPECT_FALSE(client->get_pod("ns", "missing"));
  ASSERT_TRUE(client->pod_log("ns", "p", {}));
  ASSERT_TRUE(client->delete_pod("ns", "p", std::nullopt));
  std::vector<std::tuple<std::string, int, std::uint64_t>> counted;
  for (const CallCounts::Count& count : client->stats().by_verb)
    counted.emplace_back(count.what, count.status, count.calls);
  EXPECT_EQ(counted, (std::vector<std::tuple<std::string, int, std::uint64_t>>{
                         {"delete", 200, 1}, {"get", 200, 2}, {"get", 404, 1}, {"log", 200, 1}}));
}

std::string event_line(const std::string& type, const std::string& name,
                       const std::string& version) {
  return Json{{"type", type},
              {"object",
               {{"kind", "Pod"}, {"metadata", {{"name", name}, {"resourceVersion", version}}}}}}
             .dump() +
         "\n";
}

TEST(KubeClient, WatchDecodesEventsSplitAcrossChunks) {
  auto server = TestServer::start_tcp([](const ReceivedRequest&, Connection& c) {
    const std::string body = event_line("ADDED", "a", "11") + event_line("BOOKMARK", "", "12") +
                             event_line("MODIFIED", "a", "13");
    c.start_chunked(200, {"Content-Type: application/json"});
    // Chunks that cut lines, and even a JSON string, in two.
    for (std::size_t at = 0; at < body.size(); at += 17) c.send_chunk(body.substr(at, 17));
    c.end_chunks();
  });
  auto client = make_client(*server);
  std::vector<std::pair<WatchEvent::Type, std::string>> seen;
  auto watched = client->watch_pods(
      "ns",
      {.label_selector = "a=b", .resource_version = "10", .allow_bookmarks = true, .timeout = 60s},
      [&](WatchEvent e) {
        seen.emplace_back(e.type, e.object["metadata"].value("resourceVersion", ""));
        return true;
      });
  ASSERT_TRUE(watched) << watched.error().message;
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], std::make_pair(WatchEvent::Type::kAdded, std::string("11")));
  EXPECT_EQ(seen[1], std::make_pair(WatchEvent::Type::kBookmark, std::string("12")));
  EXPECT_EQ(seen[2], std::make_pair(WatchEvent::Type::kModified, std::string("13")));
  EXPECT_EQ(server->requests()[0].target,
            "/api/v1/namespaces/ns/pods?watch=1&labelSelector=a%3Db&resourceVersion=10&"
            "allowWatchBookmarks=true&timeoutSeconds=60");
}

WatchQuery query_from(const std::string& resource_version) {
  WatchQuery query;
  query.resource_version = resource_version;
  return query;
}

TEST(KubeClient, WatchReportsExpiryAsAnswerOrAsEvent) {
  auto server = TestServer::start_tcp([](const ReceivedRequest& r, Connection& c) {
    if (r.target.find("resourceVersion=1&") != std::string::npos) {
      c.respond(410, status_body(410, "Gone", "too old resource version: 1 (30)"));
      return;
    }
    c.start_chunked(200);
    c.send_chunk(event_line("ADDED", "a", "31"));
    c.send_chunk(
        R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old"}})"
        "\n");
    c.end_chunks();
  });
  auto client = make_client(*server);
  auto answer = client->watch_pods("ns", query_from("1"), [](WatchEvent) { return true; });
  ASSERT_FALSE(answer);
  EXPECT_TRUE(is_expired(answer.error()));
  int events = 0;
  auto in_stream = client->watch_pods("ns", query_from("30"), [&](WatchEvent) {
    ++events;
    return true;
  });
  ASSERT_FALSE(in_stream);
  EXPECT_TRUE(is_expired(in_stream.error()));
  EXPECT_EQ(events, 1);
}

TEST(KubeClient, AStopEndsAWatchPromptly) {
  auto server = TestServer::start_tcp([](const ReceivedRequest&, Connection& c) {
    c.start_chunked(200);
    c.send_chunk(event_line("ADDED", "a", "1"));
    c.wait_for_client_close();
  });
  auto client = make_client(*server);
  StopSignal stop;
  std::atomic<bool> first{false};
  std::thread stopper([&] {
    while (!first) std::this_thread::sleep_for(1ms);
    stop.request_stop();
  });
  const auto start = std::chrono::steady_clock::now();
  auto watched = client->watch_pods(
      "ns", {},
      [&](WatchEvent) {
        first = true;
        return true;
      },
      &stop);
  stopper.join();
  ASSERT_FALSE(watched);
  EXPECT_NE(watched.error().message.find("cancelled"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(KubeClient, EveryRequestTakesATokenFromTheLimiter) {
  auto server = TestServer::start_tcp(
      [](const ReceivedRequest&, Connection& c) { c.respond(200, pod_body("p")); });
  KubeClientOptions options = fast_options();
  options.rate_limit = {.requests_per_second = 40, .burst = 1};
  auto client = make_client(*server, options);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 7; ++i) ASSERT_TRUE(client->get_pod("ns", "p"));
    });
  }
  for (auto& thread : threads) thread.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // 21 requests, the first free: at least 20 / 40 = 0.5 s, whatever the thread count.
  EXPECT_GE(seconds, 0.48);
  EXPECT_LE(21 / seconds, 40 * 1.1);
  EXPECT_EQ(client->stats().requests, 21u);
}

TEST(KubeClient, ReReadsARotatedTokenFile) {
  auto dir = TempDir::create("pop-kube-token-");
  ASSERT_TRUE(dir);
  const auto token_file = dir->path() / "token";
  std::ofstream(token_file) << "first\n";
  auto server = TestServer::start_tcp(
      [](const ReceivedRequest&, Connection& c) { c.respond(200, pod_body("p")); });
  KubeConfig config = config_for(*server);
  config.token.clear();
  config.token_file = token_file;
  ManualClock clock;
  KubeClientOptions options = fast_options();
  options.token_refresh = 60s;
  options.clock = &clock;
  auto client = KubeClient::create(config, options);
  ASSERT_TRUE(client) << client.error().message;
  ASSERT_TRUE((*client)->get_pod("ns", "p"));
  std::ofstream(token_file) << "second\n";
  clock.advance(59s);
  ASSERT_TRUE((*client)->get_pod("ns", "p"));
  clock.advance(1s);
  ASSERT_TRUE((*client)->get_pod("ns", "p"));
  const auto requests = server->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer first");
  EXPECT_EQ(requests[1].header("Authorization"), "Bearer first");  // read 59 s ago
  EXPECT_EQ(requests[2].header("Authorization"), "Bearer second");
}

TEST(KubeClient, RefusesBadConfigurationNamingItsOrigin) {
  KubeConfig config;
  config.server = "https://k";
  config.origin = "kubeconfig /x, context c";
  config.ca_file = "/nonexistent/ca.pem";
  auto client = KubeClient::create(config);
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(client.error().message,
            "kubeconfig /x, context c: CA file /nonexistent/ca.pem does not exist or cannot be "
            "read");
}

}  // namespace
}  // namespace pop::kubernetes
