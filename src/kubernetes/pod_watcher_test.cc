#include "kubernetes/pod_watcher.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "http_client/test_server.h"

namespace pop::kubernetes {
namespace {

using http_client::testing::Connection;
using http_client::testing::ReceivedRequest;
using http_client::testing::TestServer;
using namespace std::chrono_literals;

std::string pod(const std::string& name, const std::string& version) {
  return Json{{"kind", "Pod"}, {"metadata", {{"name", name}, {"resourceVersion", version}}}}.dump();
}

std::string event_line(const std::string& type, const std::string& object) {
  return R"({"type":")" + type + R"(","object":)" + object + "}\n";
}

std::string list(const std::string& version, const std::vector<std::string>& names) {
  Json items = Json::array();
  for (const auto& name : names) items.push_back(Json::parse(pod(name, version)));
  return Json{{"kind", "PodList"}, {"metadata", {{"resourceVersion", version}}}, {"items", items}}
      .dump();
}

KubeClientOptions unlimited() {
  KubeClientOptions options;
  options.rate_limit = {.requests_per_second = 0, .burst = 1};
  return options;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// What the watcher reported, in order, as text lines.
class Journal {
 public:
  void add(std::string line) {
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
    changed_.notify_all();
  }
  bool wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return lines_.size() >= count; });
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
};

TEST(PodWatcher, ResumesAfterDropsAndRelistsWhenExpired) {
  auto server = TestServer::start_tcp([](const ReceivedRequest& r, Connection& c) {
    const std::string& t = r.target;
    if (!has(t, "watch=1")) {
      // Lists: the first finds a; the second b (a was deleted meanwhile); then nothing.
      static int lists = 0;
      ++lists;
      if (lists == 1)
        c.respond(200, list("10", {"a"}));
      else if (lists == 2)
        c.respond(200, list("20", {"b"}));
      else
        c.respond(200, list("30", {}));
      return;
    }
    if (has(t, "resourceVersion=10&")) {
      c.start_chunked(200);
      c.send_chunk(event_line("MODIFIED", pod("a", "11")));
      c.send_chunk(event_line("BOOKMARK", pod("", "12")));
      c.close_after();  // dropped mid-stream: no final chunk
    } else if (has(t, "resourceVersion=12&")) {
      c.respond(410, R"({"kind":"Status","code":410,"reason":"Gone","message":"too old"})");
    } else if (has(t, "resourceVersion=20&")) {
      c.start_chunked(200);
      c.send_chunk(event_line("DELETED", pod("b", "21")));
      c.send_chunk(event_line("ERROR", R"({"kind":"Status","code":410,"reason":"Expired"})"));
      c.end_chunks();
    } else {
      c.start_chunked(200);
      c.wait_for_client_close();
    }
  });
  ASSERT_TRUE(server);
  KubeConfig config;
  config.server = server->base_url();
  config.proxy_url = "";
  auto client = KubeClient::create(config, unlimited());
  ASSERT_TRUE(client) << client.error().message;

  Journal journal;
  {
    PodWatcher watcher(
        **client, "ns", "app=pop",
        {.watch_timeout = 60s, .initial_backoff = 10ms, .max_backoff = 50ms},
        {.on_pod =
             [&](const Json& p, bool deleted) {
               journal.add(std::string(deleted ? "deleted " : "changed ") +
                           p["metadata"].value("name", "") + "@" +
                           p["metadata"].value("resourceVersion", ""));
             },
         .on_listed =
             [&](const std::vector<Json>& pods, std::chrono::steady_clock::time_point) {
               std::string line = "listed";
               for (const auto& p : pods) line += " " + p["metadata"].value("name", "");
               journal.add(line);
             }});
    ASSERT_TRUE(journal.wait_for(5)) << journal.lines().size();
    ASSERT_TRUE(server->wait_for_requests(7));
    const auto stats = watcher.stats();
    EXPECT_EQ(stats.lists, 3u);
    EXPECT_GE(stats.reconnects, 1u);
  }
  EXPECT_EQ(journal.lines(), (std::vector<std::string>{"listed a", "changed a@11", "listed b",
                                                       "deleted b@21", "listed"}));
  std::vector<std::string> targets;
  for (const auto& r : server->requests()) targets.push_back(r.target);
  ASSERT_GE(targets.size(), 7u);
  EXPECT_TRUE(has(targets[0], "/api/v1/namespaces/ns/pods?limit=500&labelSelector=app%3Dpop"));
  EXPECT_TRUE(has(targets[1],
                  "watch=1&labelSelector=app%3Dpop&resourceVersion=10&"
                  "allowWatchBookmarks=true&timeoutSeconds=60"));
  EXPECT_TRUE(has(targets[2], "resourceVersion=12&"));  // resumed after the bookmark
  EXPECT_FALSE(has(targets[3], "watch=1"));             // 410: list again
  EXPECT_TRUE(has(targets[4], "resourceVersion=20&"));
  EXPECT_FALSE(has(targets[5], "watch=1"));  // ERROR 410 event: list again
  EXPECT_TRUE(has(targets[6], "resourceVersion=30&"));
}

TEST(PodWatcher, KeepsListingUntilTheServerAnswers) {
  auto server = TestServer::start_tcp([](const ReceivedRequest& r, Connection& c) {
    static int lists = 0;
    if (has(r.target, "watch=1")) {
      c.start_chunked(200);
      c.wait_for_client_close();
    } else if (++lists < 3) {
      c.respond(403, R"({"kind":"Status","code":403,"reason":"Forbidden","message":"no"})");
    } else {
      c.respond(200, list("5", {"x"}));
    }
  });
  KubeConfig config;
  config.server = server->base_url();
  config.proxy_url = "";
  auto client = KubeClient::create(config, unlimited());
  ASSERT_TRUE(client);
  Journal journal;
  PodWatcher watcher(
      **client, "ns", "", {.watch_timeout = 60s, .initial_backoff = 5ms, .max_backoff = 20ms},
      {.on_pod = [](const Json&, bool) {},
       .on_listed =
           [&](const std::vector<Json>& pods, std::chrono::steady_clock::time_point) {
             journal.add("listed " + std::to_string(pods.size()));
           }});
  ASSERT_TRUE(journal.wait_for(1));
  EXPECT_EQ(journal.lines()[0], "listed 1");
}

}  // namespace
}  // namespace pop::kubernetes
