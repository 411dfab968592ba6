#include "service/config/template_instance.h"

#include <gtest/gtest.h>

namespace pop::service {
namespace {

AgendaTemplate encode_template() {
  AgendaTemplate agenda_template;
  agenda_template.id = "encode";
  agenda_template.static_parameters = {{"preset", "fast"}};
  agenda_template.params = {{"maximumAttempts", 2}, {"defaultInsight", "enc"}};
  agenda_template.agenda = Json::parse(R"({"linkId": "from-template", "params": {"doNotRun": false},
      "operations": [{"name": "a", "type": "sample",
                      "payload": {"input": "@<pop.payload::file>", "preset": "@<preset>"}}]})");
  return agenda_template;
}

TEST(TemplateInstanceTest, BindsThenLaysTheParamsOver) {
  TemplateRunRequest request;
  request.payload = {{"file", "in.mov"}};
  request.params = {{"maximumAttempts", 1}};
  request.link_id = "job-7";
  auto agenda = instantiate_template(encode_template(), request, false, AgendaLimits{});
  ASSERT_TRUE(agenda.has_value()) << agenda.error().message;
  EXPECT_EQ((*agenda)["operations"][0]["payload"],
            Json::parse(R"({"input": "in.mov", "preset": "fast"})"));
  EXPECT_EQ((*agenda)["params"],
            Json::parse(R"({"doNotRun": false, "maximumAttempts": 1, "defaultInsight": "enc"})"));
  EXPECT_EQ((*agenda)["linkId"], "job-7");
  // Without a linkId the template's own stays.
  request.link_id.clear();
  EXPECT_EQ((*instantiate_template(encode_template(), request, false, AgendaLimits{}))["linkId"],
            "from-template");
}

TEST(TemplateInstanceTest, AMissingPayloadPathFailsExceptInTheTrial) {
  const TemplateRunRequest empty;
  auto run = instantiate_template(encode_template(), empty, false, AgendaLimits{});
  ASSERT_FALSE(run.has_value());
  EXPECT_EQ(run.error().code, ErrorCode::kInvalidAgenda);
  EXPECT_EQ(run.error().message,
            "at /operations/0/payload/input: reference \"@<pop.payload::file>\": path \"/file\" "
            "does not exist");
  auto trial = instantiate_template(encode_template(), empty, true, AgendaLimits{});
  ASSERT_TRUE(trial.has_value()) << trial.error().message;
  EXPECT_EQ((*trial)["operations"][0]["payload"]["input"], nullptr);
}

TEST(TemplateInstanceTest, ABoundAgendaPastItsLimitsIsRefusedNamingTheTemplate) {
  AgendaTemplate agenda_template = encode_template();
  AgendaLimits limits;
  limits.max_document_bytes = 1000;
  TemplateRunRequest request;
  request.payload = {{"file", std::string(2000, 'f')}};
  auto agenda = instantiate_template(agenda_template, request, false, limits);
  ASSERT_FALSE(agenda.has_value());
  EXPECT_EQ(agenda.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(agenda.error().message,
            "agenda template \"encode\", its agenda bound: at /operations/0/payload/input: "
            "reference \"@<pop.payload::file>\": the result would pass the limit of 1000 bytes "
            "(serialised)");
}

TEST(TemplateInstanceTest, AgendaParamsThatAreNoObjectAreAnError) {
  AgendaTemplate agenda_template = encode_template();
  agenda_template.agenda["params"] = "fast";
  auto agenda = instantiate_template(agenda_template, {}, true, AgendaLimits{});
  ASSERT_FALSE(agenda.has_value());
  EXPECT_EQ(agenda.error().message, "agenda, field params: must be an object");
}

TEST(TemplateInstanceTest, RequestFieldsAreChecked) {
  auto full = template_run_request_from_json(
      Json::parse(R"({"payload": [1, 2], "params": {"x": 1}, "linkId": "l"})"));
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->payload, Json::array({1, 2}));
  EXPECT_EQ(full->params, (Json{{"x", 1}}));
  EXPECT_EQ(full->link_id, "l");
  auto none = template_run_request_from_json(Json::object());
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->payload.is_null());
  EXPECT_EQ(none->params, Json::object());
  const std::pair<const char*, const char*> bad[] = {
      {"[]", "request body must be a JSON object"},
      {R"({"params": [1]})", "params must be an object"},
      {R"({"linkId": 5})", "linkId must be a string"},
      {R"({"payload": 1, "playload": 2})",
       "unknown field \"playload\" (expected payload, params, linkId)"},
  };
  for (const auto& [body, message] : bad) {
    auto request = template_run_request_from_json(Json::parse(body));
    ASSERT_FALSE(request.has_value()) << body;
    EXPECT_EQ(request.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(request.error().message, message);
  }
}

}  // namespace
}  // namespace pop::service
