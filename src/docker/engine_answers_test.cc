#include "docker/engine_answers.h"

#include <gtest/gtest.h>

namespace pop::docker {
namespace {

http_client::Response answer(int status, std::string body) {
  http_client::Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

TEST(EngineAnswersTest, ErrorsKeepTheEngineMessageOrTheStatus) {
  const Error missing = engine_error(answer(404, R"({"message": "No such image: x"})"), "create");
  EXPECT_EQ(missing.code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.message, "create: No such image: x");
  const Error other = engine_error(answer(500, "<html>"), "start");
  EXPECT_EQ(other.code, ErrorCode::kUnavailable);
  EXPECT_EQ(other.message, "start: HTTP 500 <html>");
  EXPECT_EQ(engine_error(answer(409, R"({"message": 5})"), "kill").message,
            "kill: HTTP 409 {\"message\": 5}");
}

TEST(EngineAnswersTest, AnswersOfTheWrongShapeAreErrors) {
  EXPECT_FALSE(parse_answer(answer(200, "not json"), "inspect"));
  EXPECT_EQ(created_container_id(Json::parse(R"({"Id": "abc"})"), "create").value(), "abc");
  for (const char* text : {R"({"Id": 5})", "[]", "\"Id\"", "{}"})
    EXPECT_FALSE(created_container_id(Json::parse(text), "create")) << text;
  EXPECT_EQ(listed_container_ids(Json::parse(R"([{"Id": "a"}, {"Id": 1}, 3, {"Id": "b"}])")),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(listed_container_ids(Json::parse(R"({"Id": "a"})")).empty());
}

TEST(EngineAnswersTest, ExitStatusIsTheOneTheEngineSent) {
  EXPECT_EQ(container_exit(Json::parse(R"({"StatusCode": 137})"))->status_code, 137);
  EXPECT_EQ(container_exit(Json::parse(R"({"StatusCode": -1})"))->status_code, -1);
  for (const char* text : {R"({"StatusCode": 1.5})", R"({"StatusCode": "0"})", "[0]", "{}"})
    EXPECT_FALSE(container_exit(Json::parse(text))) << text;
}

// get<int>() wrapped 4294967296 to 0: an answer no real exit produces read as the handler's
// success (fuzz/docker_answers checks it; fuzz/regressions/docker_answers/status_code_wraps).
TEST(EngineAnswersTest, ExitStatusOutOfRangeIsNotWrappedToSuccess) {
  for (const char* text :
       {R"({"StatusCode": 4294967296})", R"({"StatusCode": 2147483648})",
        R"({"StatusCode": -2147483649})", R"({"StatusCode": 18446744073709551615})"})
    EXPECT_FALSE(container_exit(Json::parse(text))) << text;
}

TEST(EngineAnswersTest, RunningOnlyWhenTheStateSaysSo) {
  EXPECT_TRUE(container_running(Json::parse(R"({"State": {"Running": true}})")));
  for (const char* text : {R"({"State": {"Running": false}})", R"({"State": {"Running": "true"}})",
                           R"({"State": true})", R"({"State": {}})", "{}", "[]"})
    EXPECT_FALSE(container_running(Json::parse(text))) << text;
}

TEST(EngineAnswersTest, PullFailsOnItsFirstErrorLine) {
  EXPECT_TRUE(pull_outcome("{\"status\": \"Pulling\"}\n\nnot json\n", "busybox"));
  const auto failed =
      pull_outcome("{\"status\": \"Pulling\"}\n{\"error\": \"manifest unknown\"}", "busybox");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message, "pull image busybox: \"manifest unknown\"");
}

}  // namespace
}  // namespace pop::docker
