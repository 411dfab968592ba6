#include "metrics/graphite.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include <chrono>
#include <string>

#include "testing/captured_log.h"
#include "testing/loopback_socket.h"
#include "testing/subprocess.h"

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
  pop::testing::LoopbackListener listener;
  MetricsRegistry registry;
  prometheus::BuildCounter()
      .Name("pop_pushed_total")
      .Help("t")
      .Register(registry.families())
      .Add({})
      .Increment();
  std::string received;
  {
    GraphitePusher pusher(registry, "127.0.0.1", listener.port(), std::chrono::milliseconds(50),
                          null_logger());
    for (int push = 0; push < 2; ++push) {
      auto pushed = listener.receive();
      ASSERT_TRUE(pushed.has_value());
      received += *pushed;
    }
  }
  std::size_t lines = 0;
  for (auto at = received.find("pop_pushed_total 1 "); at != std::string::npos;
       at = received.find("pop_pushed_total 1 ", at + 1))
    ++lines;
  EXPECT_EQ(lines, 2u) << received;
}

// An unreachable Graphite: counted, said once with why (not at every interval), and its
// return said once too; the pusher stops at once all the while.
TEST(GraphitePusher, AnUnreachableGraphiteIsToldOnceAndItsReturnToo) {
  MetricsRegistry registry;
  pop::testing::CapturedLog log;
  std::uint16_t port = 0;
  {
    pop::testing::LoopbackListener closed;  // a port nobody listens on once it goes
    port = closed.port();
  }
  const auto started = std::chrono::steady_clock::now();
  {
    GraphitePusher pusher(registry, "127.0.0.1", port, std::chrono::milliseconds(20), log);
    ASSERT_TRUE(pop::testing::eventually([&] { return pusher.failed() >= 3; }));
    pop::testing::LoopbackListener back(port);
    ASSERT_TRUE(back.receive().has_value());
    ASSERT_TRUE(pop::testing::eventually(
        [&] { return !log.with_message("pushing the metrics to Graphite again").empty(); }));
    ASSERT_TRUE(back.receive().has_value());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(log.with_message("pushing the metrics to Graphite again").size(), 1u);
  const auto warnings =
      log.with_message("cannot push the metrics to Graphite; trying again at every interval");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].fields.at("graphite"), "127.0.0.1:" + std::to_string(port));
  EXPECT_NE(warnings[0].fields.at("error").find("Connection refused"), std::string::npos)
      << warnings[0].fields.at("error");
}

}  // namespace
}  // namespace pop::metrics
