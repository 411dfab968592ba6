#include "metrics/graphite.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace pop::metrics {
namespace {

TEST(GraphiteLines, CountersGaugesAndHistogramsWithTheirLabelsAsTags) {
  MetricsRegistry registry;
  prometheus::BuildCounter()
      .Name("pop_test_total")
      .Help("t")
      .Register(registry.families())
      .Add({{"route", "/v1/agendas/{id}"}, {"odd", "a b;c=d~e"}})
      .Increment(3);
  prometheus::BuildHistogram()
      .Name("pop_test_seconds")
      .Help("t")
      .Register(registry.families())
      .Add({}, prometheus::Histogram::BucketBoundaries{0.5, 1})
      .Observe(0.75);
  CollectorHandle gauge = registry.add_collector([] {
    return Families{gauge_family("pop_test_depth", "d", {{{{"pool", "p"}}, 7}})};
  });
  const std::string lines = graphite_lines(registry.collect(), 1700000000);
  EXPECT_NE(lines.find("pop_test_total;odd=a_b_c_d_e;route=/v1/agendas/{id} 3 1700000000\n"),
            std::string::npos)
      << lines;
  EXPECT_NE(lines.find("pop_test_seconds_bucket;le=0.5 0 1700000000\n"), std::string::npos)
      << lines;
  EXPECT_NE(lines.find("pop_test_seconds_bucket;le=1 1 1700000000\n"), std::string::npos) << lines;
  EXPECT_NE(lines.find("pop_test_seconds_bucket;le=inf 1 1700000000\n"), std::string::npos)
      << lines;
  EXPECT_NE(lines.find("pop_test_seconds_sum 0.75 1700000000\n"), std::string::npos) << lines;
  EXPECT_NE(lines.find("pop_test_seconds_count 1 1700000000\n"), std::string::npos) << lines;
  EXPECT_NE(lines.find("pop_test_depth;pool=p 7 1700000000\n"), std::string::npos) << lines;
}

// A listener on loopback receives the pushes, each on a connection of its own.
TEST(GraphitePusher, PushesTheCollectionToAListenerAtItsInterval) {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(listener, 8), 0);
  socklen_t size = sizeof address;
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size), 0);

  MetricsRegistry registry;
  prometheus::BuildCounter()
      .Name("pop_pushed_total")
      .Help("t")
      .Register(registry.families())
      .Add({})
      .Increment();
  std::string received;
  {
    GraphitePusher pusher(registry, "127.0.0.1", ntohs(address.sin_port),
                          std::chrono::milliseconds(50));
    for (int push = 0; push < 2; ++push) {
      const int connection = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      ASSERT_GE(connection, 0);
      char buffer[4096];
      for (ssize_t n; (n = read(connection, buffer, sizeof buffer)) > 0;)
        received.append(buffer, n);
      close(connection);
    }
  }
  close(listener);
  std::size_t lines = 0;
  for (auto at = received.find("pop_pushed_total 1 "); at != std::string::npos;
       at = received.find("pop_pushed_total 1 ", at + 1))
    ++lines;
  EXPECT_EQ(lines, 2u) << received;
}

TEST(GraphitePusher, AnUnreachableGraphiteIsCountedAndStopsAtOnce) {
  MetricsRegistry registry;
  const auto started = std::chrono::steady_clock::now();
  std::uint64_t failed = 0;
  {
    // Port 1 on loopback: refused at once.
    GraphitePusher pusher(registry, "127.0.0.1", 1, std::chrono::milliseconds(20));
    while (pusher.failed() == 0 &&
           std::chrono::steady_clock::now() - started < std::chrono::seconds(5))
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    failed = pusher.failed();
  }
  EXPECT_GE(failed, 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

}  // namespace
}  // namespace pop::metrics
