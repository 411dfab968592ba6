#include "service/agendas/rerun.h"

#include <gtest/gtest.h>

namespace pop::service {
namespace {

using Mode = RerunRequest::Mode;

Result<RerunRequest> parse(const char* text) { return rerun_request_from_json(Json::parse(text)); }

TEST(RerunRequestTest, ReadsEveryModeInBothForms) {
  EXPECT_EQ(parse("{}")->mode, Mode::kResetAll);
  EXPECT_EQ(parse(R"({"resetAll": true})")->mode, Mode::kResetAll);
  EXPECT_EQ(parse(R"({"continue": true})")->mode, Mode::kContinue);
  auto named = parse(R"({"operationsToReset": " a ,b,, c", "skipExecution": true})");
  ASSERT_TRUE(named.has_value());
  EXPECT_EQ(named->mode, Mode::kOperationsToReset);
  EXPECT_EQ(named->operations_to_reset, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(named->skip_execution);
  EXPECT_EQ(parse(R"({"operationsToReset": ["x", "y"]})")->operations_to_reset,
            (std::vector<std::string>{"x", "y"}));
  auto pop_form = parse(R"({"params": ["operationsToReset=a,b", "skipExecution"]})");
  ASSERT_TRUE(pop_form.has_value());
  EXPECT_EQ(pop_form->mode, Mode::kOperationsToReset);
  EXPECT_TRUE(pop_form->skip_execution);
  EXPECT_EQ(parse(R"({"params": ["continue"]})")->mode, Mode::kContinue);
}

TEST(RerunRequestTest, RejectsWhatItDoesNotUnderstandNamingIt) {
  const std::pair<const char*, const char*> cases[] = {
      {"[]", "JSON object"},
      {R"({"restart": true})", "\"restart\""},
      {R"({"continue": "yes"})", "continue must be"},
      {R"({"continue": true, "resetAll": true})", "choose one"},
      {R"({"continue": true, "operationsToReset": "a"})", "choose one"},
      {R"({"operationsToReset": 3})", "operationsToReset"},
      {R"({"operationsToReset": " , "})", "names no operation"},
      {R"({"operationsToReset": [1]})", "operationsToReset"},
      {R"({"params": "continue"})", "params must be"},
      {R"({"params": ["continue"], "resetAll": true})", "cannot be combined"},
  };
  for (const auto& [body, expected] : cases) {
    auto request = parse(body);
    ASSERT_FALSE(request.has_value()) << body;
    EXPECT_EQ(request.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(request.error().message.find(expected), std::string::npos)
        << body << ": " << request.error().message;
  }
}

class ResetTest : public ::testing::Test {
 protected:
  // a -> b -> c (c by dependsOn), d independent; e depends on a and d.
  void SetUp() override {
    IssueList issues;
    agenda_ = parse_agenda(Json::parse(R"({"operations": [
      {"name": "a", "type": "t"}, {"name": "b", "type": "t", "payload": "@<a.out>"},
      {"name": "c", "type": "t", "params": {"dependsOn": "b"}}, {"name": "d", "type": "t"},
      {"name": "e", "type": "t", "payload": ["@<a.out>", "@<d.out>"]}]})"),
                           issues);
    ASSERT_TRUE(issues.empty());
    progress_.state = ProcessingState::kComplete;
    progress_.outcome = AgendaOutcome::kFailed;
    for (const char* name : {"a", "b", "c", "d", "e"}) {
      OperationProgress operation;
      operation.operation = name;
      operation.state =
          std::string(name) == "e" ? OperationState::kFailed : OperationState::kSucceeded;
      operation.result_payload = name;
      operation.attempt_count = 2;
      progress_.operations.push_back(operation);
    }
  }

  std::string pending_after(RerunRequest request) {
    auto reset = reset_for_rerun(agenda_, progress_, request);
    EXPECT_TRUE(reset.has_value()) << reset.error().message;
    if (!reset) return "";
    EXPECT_EQ(reset->state, ProcessingState::kWaiting);
    EXPECT_EQ(reset->outcome, AgendaOutcome::kNone);
    std::string pending;
    for (const auto& operation : reset->operations) {
      if (operation.state == OperationState::kPending) {
        EXPECT_TRUE(operation.result_payload.is_null());
        EXPECT_EQ(operation.attempt_count, 0);
        pending += operation.operation;
      } else {
        EXPECT_EQ(operation.result_payload, operation.operation) << "a kept result changed";
      }
    }
    return pending;
  }

  Agenda agenda_;
  AgendaProgress progress_;
};

TEST_F(ResetTest, EachModeResetsItsOperations) {
  EXPECT_EQ(pending_after({}), "abcde");
  EXPECT_EQ(pending_after({Mode::kContinue, {}, false}), "e");
  EXPECT_EQ(pending_after({Mode::kOperationsToReset, {"B"}, false}), "bce");
  EXPECT_EQ(pending_after({Mode::kOperationsToReset, {"d"}, false}), "de");
  EXPECT_EQ(pending_after({Mode::kOperationsToReset, {"a"}, false}), "abce");
}

TEST_F(ResetTest, UnknownOperationIsNamed) {
  auto reset = reset_for_rerun(agenda_, progress_, {Mode::kOperationsToReset, {"zz"}, false});
  ASSERT_FALSE(reset.has_value());
  EXPECT_EQ(reset.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(reset.error().message.find("\"zz\""), std::string::npos);
}

}  // namespace
}  // namespace pop::service
