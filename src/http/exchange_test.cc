// The rules between a handler's Responder and its connection, without sockets.
#include "http/exchange.h"

#include <gtest/gtest.h>

#include <atomic>

namespace pop::http::detail {
namespace {

class CountingPort : public ExchangePort {
 public:
  void notify() override { ++notified; }
  std::atomic<int> notified{0};
};

class ExchangeTest : public ::testing::Test {
 protected:
  std::shared_ptr<Exchange> make(std::size_t max_buffered = 100) {
    return std::make_shared<Exchange>("cid", lifeline_, port_, max_buffered);
  }
  std::shared_ptr<Lifeline> lifeline_ = std::make_shared<Lifeline>();
  std::shared_ptr<CountingPort> port_ = std::make_shared<CountingPort>();
};

TEST_F(ExchangeTest, OneResponseOnlyAndNotifiesOutsideTheHandler) {
  auto exchange = make();
  Responder responder(exchange);
  EXPECT_EQ(responder.correlation_id(), "cid");
  EXPECT_TRUE(responder.send(HttpResponse{201, {}, "x"}));
  EXPECT_FALSE(responder.send(HttpResponse{200, {}, "y"}));
  EXPECT_FALSE(responder.start_stream(200));
  EXPECT_FALSE(responder.write("z"));
  EXPECT_EQ(port_->notified, 1);
  auto output = exchange->take_output();
  ASSERT_TRUE(output.response);
  EXPECT_EQ(output.response->status, 201);
}

TEST_F(ExchangeTest, OutputDuringTheHandlerIsCollectedWithoutNotify) {
  auto exchange = make();
  exchange->enter_handler();
  {
    Responder responder(exchange);
    responder.start_stream(200);
    responder.write("a");
  }  // the last copy goes: the stream is ended
  EXPECT_TRUE(exchange->leave_handler());
  EXPECT_EQ(port_->notified, 0);
  auto output = exchange->take_output();
  EXPECT_TRUE(output.stream_head);
  EXPECT_EQ(output.chunks, std::vector<std::string>{"a"});
  EXPECT_TRUE(output.stream_end);
}

TEST_F(ExchangeTest, NotifiesOncePerBatchUntilCollected) {
  auto exchange = make();
  Responder responder(exchange);
  ASSERT_TRUE(responder.start_stream(200));
  ASSERT_TRUE(responder.write("a"));
  ASSERT_TRUE(responder.write("b"));
  EXPECT_EQ(port_->notified, 1);
  EXPECT_EQ(exchange->take_output().chunks, (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(responder.write("c"));
  EXPECT_EQ(port_->notified, 2);
}

TEST_F(ExchangeTest, DroppingTheResponderUnansweredGives500) {
  auto exchange = make();
  { Responder responder(exchange); }
  auto output = exchange->take_output();
  ASSERT_TRUE(output.response);
  EXPECT_EQ(output.response->status, 500);
  EXPECT_TRUE(output.abandoned);
}

TEST_F(ExchangeTest, HandlerFailureGives500OrAbortsAStream) {
  auto pending = make();
  pending->fail();
  EXPECT_EQ(pending->take_output().response->status, 500);

  auto streaming = make();
  Responder responder(streaming);
  responder.start_stream(200);
  streaming->fail();
  EXPECT_TRUE(streaming->take_output().abort);
  EXPECT_FALSE(responder.write("x"));
}

TEST_F(ExchangeTest, StreamBufferLimitCutsOffTheStream) {
  auto exchange = make(10);
  Responder responder(exchange);
  ASSERT_TRUE(responder.start_stream(200));
  EXPECT_TRUE(responder.write("123456"));
  EXPECT_FALSE(responder.write("789012"));  // 12 bytes would be buffered
  EXPECT_TRUE(exchange->take_output().abort);
  EXPECT_FALSE(responder.write("1"));

  auto draining = make(10);
  Responder second(draining);
  ASSERT_TRUE(second.start_stream(200));
  EXPECT_TRUE(second.write("123456"));
  draining->take_output();
  draining->release(6);  // written out: room again
  EXPECT_TRUE(second.write("789012"));
}

TEST_F(ExchangeTest, CancelRunsTheCallbackOnceAndLateRegistrationsAtOnce) {
  auto exchange = make();
  Responder responder(exchange);
  int calls = 0;
  responder.on_cancel([&](CancelReason why) {
    EXPECT_EQ(why, CancelReason::kServerStopping);
    ++calls;
  });
  EXPECT_TRUE(exchange->cancel(CancelReason::kServerStopping));
  EXPECT_TRUE(exchange->cancel(CancelReason::kClientGone));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(responder.cancel_reason(), CancelReason::kServerStopping);
  bool late = false;
  responder.on_cancel([&](CancelReason) { late = true; });
  EXPECT_TRUE(late);
  EXPECT_TRUE(responder.send(HttpResponse{503, {}, ""}));  // answering is still allowed
}

TEST_F(ExchangeTest, NoCancelAfterTheResponseAndThrowingCallbacksAreContained) {
  auto answered = make();
  Responder responder(answered);
  bool called = false;
  responder.on_cancel([&](CancelReason) { called = true; });
  responder.send(HttpResponse{});
  answered->cancel(CancelReason::kClientGone);
  EXPECT_FALSE(called);

  auto throwing = make();
  Responder other(throwing);
  other.on_cancel([](CancelReason) { throw std::runtime_error("x"); });
  EXPECT_FALSE(throwing->cancel(CancelReason::kClientGone));
}

TEST_F(ExchangeTest, FinishReleasesACallbackThatHoldsTheResponder) {
  std::weak_ptr<Exchange> weak;
  {
    auto exchange = make();
    weak = exchange;
    Responder responder(exchange);
    responder.on_cancel([responder](CancelReason) {});  // a cycle until finish()
    exchange->finish();
    EXPECT_FALSE(responder.send(HttpResponse{}));
  }
  EXPECT_TRUE(weak.expired());
}

TEST_F(ExchangeTest, NothingReachesTheLoopOnceTheLifelineIsCut) {
  auto exchange = make();
  Responder responder(exchange);
  lifeline_->kill();
  EXPECT_TRUE(responder.send(HttpResponse{}));
  EXPECT_EQ(port_->notified, 0);
}

}  // namespace
}  // namespace pop::http::detail
