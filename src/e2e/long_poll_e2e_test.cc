// End to end: long polls are entries, not threads. Thousands of pullers long-poll a real
// `pop server` at once, half of them pool `default`, half pool `pool-b`: the server keeps a
// few dozen threads, /healthz answers within a second, a submit to `default` completes
// exactly one poll of `default` (not one whose client went away) and none of `pool-b`, and
// a stopping server answers every poll still waiting with an empty result.
//
// The polls are raw non-blocking sockets driven by poll(2) from this one thread; the test
// raises its RLIMIT_NOFILE soft limit to the hard one first (the server inherits it).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "puller/http_work_source.h"
#include "testing/pop_server_fixture.h"
#include "testing/process_stats.h"

namespace pop::e2e {
using Json = nlohmann::json;

namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Just under the server's default max_connections (10,000): the test's own requests (the
// fixture's client, /healthz, the submit) need a few more connections.
constexpr std::size_t kPolls = 9900;
// The server's threads may not grow with the polls: event loops, handler threads that a
// burst of requests starts (at most 64), the store's writer, the reclaimer, the long polls'
// timer and workers. Before polls were entries this was one thread per poll.
constexpr long kMaxServerThreads = 96;

// A poll of `pool` on a raw socket; the answer is read as it comes.
struct RawPoll {
  int fd = -1;
  bool pool_default = false;
  bool sent = false;
  std::string answer;
  bool closed = false;
  bool departed = false;  // the test closed it: a puller that went away
};

// The server's side of its connections to `port` as the kernel shows them (/proc/net/tcp).
struct ServerSockets {
  // Bytes the kernel holds unread: 0 means the server has read every request sent so far.
  long unread = 0;
  // Connections the server has not closed yet: established ones, and those whose client
  // went away (CLOSE_WAIT) until the server notices and closes its end.
  std::size_t held = 0;
};

ServerSockets server_sockets(std::uint16_t port) {
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // the header
  ServerSockets sockets;
  char local_port[5];
  std::snprintf(local_port, sizeof local_port, "%04X", port);
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    fields >> slot >> local >> remote >> state >> queues;
    // ESTABLISHED (01) and CLOSE_WAIT (08) sockets whose local end is the server's port.
    if ((state != "01" && state != "08") || local.substr(local.size() - 4) != local_port) continue;
    ++sockets.held;
    sockets.unread += std::stol(queues.substr(queues.find(':') + 1), nullptr, 16);
  }
  return sockets;
}

class LongPollE2eTest : public pop::testing::PopServerFixture {
 protected:
  // One puller token per pool opens all of the pool's polls from one address: the per-caller
  // bound and the per-address connection cap are raised to let it (the global bounds'
  // defaults, 10,000 polls and connections, hold them all).
  std::vector<std::string> server_arguments() const override {
    return {"--no-embedded-puller",
            "--lease-seconds",
            "600",
            "--max-long-polls-per-caller",
            std::to_string(kPolls),
            "--max-connections-per-address",
            "0"};
  }

  void before_start() override {
    rlimit limit{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < kPolls + 200)
      GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << limit.rlim_max << " is below " << kPolls;
    limit.rlim_cur = limit.rlim_max;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);
  }

  void TearDown() override {
    for (auto& poll : polls_) {
      if (poll.fd >= 0) close(poll.fd);
    }
    PopServerFixture::TearDown();
  }

  static std::string pull_request(const std::string& pool, const std::string& token) {
    const std::string body = Json{{"pullerId", "raw"}, {"max", 1}, {"waitSeconds", 60}}.dump();
    return "POST /v1/pools/" + pool + "/pull HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
           "Authorization: Bearer " + token + "\r\nContent-Type: application/json\r\n" +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  // Opens `count` polls, the i-th sending request_of(i) (its pool is `default` when the flag
  // is set), at most 256 connects pending at once; false past `limit`.
  bool open_polls(std::size_t count,
                  const std::function<std::pair<bool, std::string>(std::size_t)>& request_of,
                  std::chrono::seconds limit) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const auto deadline = SteadyClock::now() + limit;
    constexpr std::size_t in_flight = 256;
    const std::size_t first = polls_.size();
    std::size_t opened = 0;
    std::vector<std::size_t> pending;
    std::vector<std::string> requests;
    while ((opened < count || !pending.empty()) && SteadyClock::now() < deadline) {
      while (opened < count && pending.size() < in_flight) {
        RawPoll poll;
        auto [pool_default, request] = request_of(opened);
        poll.pool_default = pool_default;
        requests.push_back(std::move(request));
        poll.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (poll.fd < 0) {
          ADD_FAILURE() << "socket: " << std::strerror(errno);
          return false;
        }
        if (connect(poll.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 &&
            errno != EINPROGRESS) {
          ADD_FAILURE() << "connect: " << std::strerror(errno);
          return false;
        }
        polls_.push_back(std::move(poll));
        pending.push_back(polls_.size() - 1);
        ++opened;
      }
      std::vector<pollfd> fds;
      for (std::size_t index : pending) fds.push_back({polls_[index].fd, POLLOUT, 0});
      if (::poll(fds.data(), fds.size(), 100) < 0) return false;
      std::vector<std::size_t> still;
      for (std::size_t k = 0; k < fds.size(); ++k) {
        RawPoll& poll = polls_[pending[k]];
        if (fds[k].revents == 0) {
          still.push_back(pending[k]);
          continue;
        }
        int error = 0;
        socklen_t size = sizeof error;
        getsockopt(poll.fd, SOL_SOCKET, SO_ERROR, &error, &size);
        const std::string& request = requests[pending[k] - first];
        if (error != 0 || send(poll.fd, request.data(), request.size(), MSG_NOSIGNAL) !=
                              static_cast<ssize_t>(request.size())) {
          ADD_FAILURE() << "poll " << pending[k] << " not sent: " << std::strerror(error);
          return false;
        }
        poll.sent = true;
        sample_threads();
      }
      pending.swap(still);
    }
    return opened == count && pending.empty();
  }

  // Until the server has read every request (bounded): each poll is then registered or
  // answered.
  bool all_read(std::size_t connections, std::chrono::seconds limit) {
    return pop::testing::eventually(
        [&] {
          sample_threads();
          const ServerSockets sockets = server_sockets(port());
          return sockets.unread == 0 && sockets.held >= connections;
        },
        limit);
  }

  // Reads what arrived on every open poll for `period`; the indexes that got bytes or closed.
  std::vector<std::size_t> read_answers(std::chrono::milliseconds period) {
    std::vector<std::size_t> answered;
    const auto deadline = SteadyClock::now() + period;
    do {
      std::vector<pollfd> fds;
      std::vector<std::size_t> index;
      for (std::size_t i = 0; i < polls_.size(); ++i) {
        if (polls_[i].closed) continue;
        fds.push_back({polls_[i].fd, POLLIN, 0});
        index.push_back(i);
      }
      if (fds.empty()) break;
      if (::poll(fds.data(), fds.size(), 50) < 0) break;
      for (std::size_t k = 0; k < fds.size(); ++k) {
        if (fds[k].revents == 0) continue;
        RawPoll& poll = polls_[index[k]];
        char buffer[4096];
        const ssize_t got = recv(poll.fd, buffer, sizeof buffer, 0);
        if (got <= 0) {
          poll.closed = true;
        } else {
          poll.answer.append(buffer, static_cast<std::size_t>(got));
        }
        if (answered.empty() || answered.back() != index[k]) answered.push_back(index[k]);
      }
      sample_threads();
    } while (SteadyClock::now() < deadline);
    std::sort(answered.begin(), answered.end());
    answered.erase(std::unique(answered.begin(), answered.end()), answered.end());
    return answered;
  }

  void sample_threads() {
    if (++samples_ % 64 != 0) return;
    max_threads_ = std::max(max_threads_, pop::testing::thread_count(server_->pid()));
  }

  std::vector<RawPoll> polls_;
  long max_threads_ = 0;
  std::size_t samples_ = 0;
};

// The JSON body of a complete HTTP response, or null.
Json body_of(const std::string& answer) {
  const auto end = answer.find("\r\n\r\n");
  if (end == std::string::npos) return Json();
  return Json::parse(answer.substr(end + 4), nullptr, false);
}

TEST_F(LongPollE2eTest, ThousandsOfPollsHoldFewThreadsAndASubmitWakesOnlyItsPool) {
  ASSERT_EQ(call("POST", "/v1/pools", R"({"id": "pool-b", "title": "B"})").status, 201);
  const std::string token_default = puller_token("default");
  const std::string token_b = puller_token("pool-b");
  const long threads_before = pop::testing::thread_count(server_->pid());

  const auto started = SteadyClock::now();
  const std::string request_default = pull_request("default", token_default);
  const std::string request_b = pull_request("pool-b", token_b);
  ASSERT_TRUE(open_polls(
      kPolls,
      [&](std::size_t i) {
        return i % 2 == 0 ? std::pair{true, request_default} : std::pair{false, request_b};
      },
      60s))
      << "could not open " << kPolls << " polls";
  ASSERT_TRUE(all_read(kPolls, 60s));
  const auto opened = SteadyClock::now() - started;
  EXPECT_TRUE(read_answers(1s).empty()) << "polls answered before any work was submitted";
  max_threads_ = std::max(max_threads_, pop::testing::thread_count(server_->pid()));
  const std::size_t rss_bytes = pop::testing::resident_bytes(server_->pid());

  const auto probe = SteadyClock::now();
  EXPECT_EQ(call("GET", "/healthz").status, 200);
  const auto healthz = SteadyClock::now() - probe;
  EXPECT_LT(healthz, 1s);

  // The first polls of `default` go away: the agenda must go to one that is still there.
  constexpr std::size_t kDeparted = 100;
  const std::size_t held_before = server_sockets(port()).held;
  for (std::size_t i = 0, gone = 0; gone < kDeparted; ++i) {
    if (!polls_[i].pool_default) continue;
    close(polls_[i].fd);
    polls_[i].fd = -1;
    polls_[i].closed = polls_[i].departed = true;
    ++gone;
  }
  // The server forgets a poll as it closes the connection of a client that went away.
  ASSERT_TRUE(pop::testing::eventually(
      [&] { return server_sockets(port()).held <= held_before - kDeparted; }, 30s))
      << "the server did not close the connections of the " << kDeparted << " polls that went away";

  auto submitted =
      call("POST", "/v1/agendas", R"({"operations": [{"name": "s", "type": "sample"}]})");
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  const std::string id = Json::parse(submitted.body)["id"].get<std::string>();
  // The poll that takes it answers at once; give any other a few seconds to show up.
  const auto answered = read_answers(3s);
  ASSERT_EQ(answered.size(), 1u) << "polls answered after one submit";
  const RawPoll& winner = polls_[answered.front()];
  EXPECT_TRUE(winner.pool_default);
  const Json answer = body_of(winner.answer);
  ASSERT_TRUE(answer.is_object()) << winner.answer;
  ASSERT_EQ(answer["agendas"].size(), 1u) << winner.answer;
  EXPECT_EQ(answer["agendas"][0]["agenda"]["id"], id);
  max_threads_ = std::max(max_threads_, pop::testing::thread_count(server_->pid()));

  std::printf(
      "%zu polls opened in %.1f s; server threads %ld before, at most %ld with them; "
      "RSS %zu MiB; /healthz in %.1f ms\n",
      kPolls, std::chrono::duration<double>(opened).count(), threads_before, max_threads_,
      rss_bytes >> 20, std::chrono::duration<double, std::milli>(healthz).count());
  EXPECT_LT(max_threads_, kMaxServerThreads);

  // Stopping answers every waiting poll with an empty result, within the stop's grace.
  std::thread stopper([&] {
    auto stopped = server_->stop();
    EXPECT_EQ(stopped.exit_status, 0) << stopped.err;
  });
  polls_[answered.front()].closed = true;
  read_answers(20s);
  stopper.join();
  server_.reset();
  std::size_t empty = 0;
  for (std::size_t i = 0; i < polls_.size(); ++i) {
    if (i == answered.front() || polls_[i].departed) continue;
    const Json body = body_of(polls_[i].answer);
    if (polls_[i].answer.rfind("HTTP/1.1 200", 0) == 0 && body.is_object() &&
        body["agendas"].empty())
      ++empty;
  }
  EXPECT_EQ(empty, kPolls - kDeparted - 1);
}

// The bounds, small: two polls of one credential and three in all may wait; a poll beyond
// either is answered at once with the empty result.
class LongPollBoundE2eTest : public LongPollE2eTest {
 protected:
  std::vector<std::string> server_arguments() const override {
    return {"--no-embedded-puller", "--max-long-polls", "3", "--max-long-polls-per-caller", "2"};
  }

  // A pull answered within a second with the empty result.
  void expect_answered_at_once(const std::string& token, const std::string& what) {
    const auto started = SteadyClock::now();
    auto answer =
        call("POST", "/v1/pools/default/pull", R"({"pullerId": "probe", "waitSeconds": 30})",
             {{"Authorization", "Bearer " + token}});
    EXPECT_LT(SteadyClock::now() - started, 1s) << what;
    EXPECT_EQ(answer.status, 200) << what << ": " << answer.body;
    EXPECT_EQ(Json::parse(answer.body, nullptr, false).value("agendas", Json()), Json::array())
        << what << ": " << answer.body;
  }
};

TEST_F(LongPollBoundE2eTest, PollsBeyondTheBoundsAreAnsweredEmptyAtOnce) {
  const std::string token_a = puller_token("default");
  const std::string token_b = puller_token("default");
  const std::string token_c = puller_token("default");
  const std::string request_a = pull_request("default", token_a);
  const std::string request_b = pull_request("default", token_b);
  ASSERT_TRUE(open_polls(
      3,
      [&](std::size_t i) {
        return std::pair{true, i < 2 ? request_a : request_b};
      },
      20s));
  ASSERT_TRUE(all_read(3, 20s));
  EXPECT_TRUE(read_answers(500ms).empty()) << "the three polls within the bounds wait";
  expect_answered_at_once(token_a, "a third poll of one credential");
  expect_answered_at_once(token_c, "a fourth poll in all");
  // `pop puller` does not ask again in a tight loop: its pull returns after a pause.
  auto puller = puller::HttpWorkSource::create({.base_url = base_url_, .bearer_token = token_c},
                                               "default", "puller-c");
  ASSERT_TRUE(puller.has_value());
  const auto asked = SteadyClock::now();
  auto pulled = (*puller)->pull(1, 10s, std::nullopt, {});
  const auto took = SteadyClock::now() - asked;
  ASSERT_TRUE(pulled.has_value()) << pulled.error().message;
  EXPECT_TRUE(pulled->assignments.empty());
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 5s);

  // The polls within the bounds wait on: one of them takes the next agenda.
  auto submitted =
      call("POST", "/v1/agendas", R"({"operations": [{"name": "s", "type": "sample"}]})");
  ASSERT_EQ(submitted.status, 201);
  const auto answered = read_answers(3s);
  ASSERT_EQ(answered.size(), 1u);
  EXPECT_EQ(body_of(polls_[answered.front()].answer)["agendas"].size(), 1u);
}

}  // namespace
}  // namespace pop::e2e
