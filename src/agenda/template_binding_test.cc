#include "agenda/template_binding.h"

#include <gtest/gtest.h>

namespace pop {
namespace {

class TemplateBindingTest : public ::testing::Test {
 protected:
  Result<Json> bind(const Json& document, bool lenient = false,
                    JsonSize limit = {32u << 20, 1'000'000}) {
    TemplateValues values;
    values.payload = &payload_;
    values.static_parameters = &static_parameters_;
    values.lenient_payload = lenient;
    values.limit = limit;
    return bind_template(document, values);
  }

  Json payload_ = Json::parse(R"({"file": "in.mov", "size": 42, "tags": ["a", "b"],
                                  "flags": {"hdr": true}, "none": null})");
  Json static_parameters_ =
      Json::parse(R"({"region": "eu", "limits": {"cpu": 2}, "bucket.name": "media"})");
};

TEST_F(TemplateBindingTest, WholeStringTokensBecomeTheValue) {
  auto bound = bind(Json::parse(R"({"operations": [{"name": "a", "type": "sample", "payload": {
      "all": "@<pop.payload>", "size": "@<pop.payload::size>", "tags": "@<pop.payload::/tags>",
      "first": "@<pop.payload::tags/0>", "hdr": "@<pop.payload::flags/hdr>",
      "limits": "@<limits>", "cpu": "@<limits::cpu>", "bucket": "@<bucket.name>"}}]})"));
  ASSERT_TRUE(bound) << bound.error().message;
  const Json& payload = (*bound)["operations"][0]["payload"];
  EXPECT_EQ(payload["all"], payload_);
  EXPECT_EQ(payload["size"], 42);
  EXPECT_EQ(payload["tags"], Json::array({"a", "b"}));
  EXPECT_EQ(payload["first"], "a");
  EXPECT_EQ(payload["hdr"], true);
  EXPECT_EQ(payload["limits"], Json::parse(R"({"cpu": 2})"));
  EXPECT_EQ(payload["cpu"], 2);
  EXPECT_EQ(payload["bucket"], "media");
}

TEST_F(TemplateBindingTest, EmbeddedTokensBecomeScalarText) {
  auto bound = bind(Json::parse(
      R"json({"title": "encode @<pop.payload::file> in @<region> (@<pop.payload::size> bytes, hdr=@<pop.payload::flags/hdr>, [@<pop.payload::none>])"})json"));
  ASSERT_TRUE(bound) << bound.error().message;
  EXPECT_EQ((*bound)["title"], "encode in.mov in eu (42 bytes, hdr=true, [])");
}

TEST_F(TemplateBindingTest, ExecutorReferencesAreLeftAsWritten) {
  const Json document = Json::parse(R"({"operations": [{"name": "b", "payload": {
      "in": "@<a.out::x>", "id": "@<pop.agendaId>", "mixed": "@<a.out> from @<region>",
      "name": "@<pop.operationName>"}}]})");
  auto bound = bind(document);
  ASSERT_TRUE(bound) << bound.error().message;
  const Json& payload = (*bound)["operations"][0]["payload"];
  EXPECT_EQ(payload["in"], "@<a.out::x>");
  EXPECT_EQ(payload["id"], "@<pop.agendaId>");
  EXPECT_EQ(payload["name"], "@<pop.operationName>");
  EXPECT_EQ(payload["mixed"], "@<a.out> from eu");
}

TEST_F(TemplateBindingTest, FallbacksApplyToMissingPaths) {
  auto bound = bind(Json::parse(
      R"({"a": "@<pop.payload::missing?>", "b": "@<pop.payload::missing?none given>",
          "c": "@<region::x?>", "d": "@<pop.payload::file?unused>"})"));
  ASSERT_TRUE(bound) << bound.error().message;
  EXPECT_EQ(*bound, Json::parse(R"({"a": null, "b": "none given", "c": null, "d": "in.mov"})"));
}

TEST_F(TemplateBindingTest, KeysAreNotVisitedAndSubstitutedTextIsNotScannedAgain) {
  static_parameters_["nested"] = "@<region>";
  auto bound = bind(Json::parse(R"({"@<region>": "@<nested>", "t": "x @<nested>"})"));
  ASSERT_TRUE(bound) << bound.error().message;
  EXPECT_EQ(*bound, Json::parse(R"({"@<region>": "@<region>", "t": "x @<region>"})"));
}

TEST_F(TemplateBindingTest, ErrorsNameThePathAndTheTokenAsWritten) {
  struct Case {
    const char* document;
    const char* message;
  };
  const Case cases[] = {
      {R"({"p": {"x": "@<pop.payload::nope>"}})",
       R"(at /p/x: reference "@<pop.payload::nope>": path "/nope" does not exist)"},
      {R"({"p": ["ok", "@<region::a/b>"]})",
       R"(at /p/1: reference "@<region::a/b>": path "/a/b" does not exist)"},
      {R"({"p": "in @<limits>"})",
       R"(at /p: reference "@<limits>": yields an object, which cannot be embedded in a longer string)"},
      {R"({"p": "@<regoin>"})",
       R"(at /p: malformed reference "@<regoin>": unknown source "regoin"; a template may use "<operation>.out", "pop.agendaId", "pop.operationName", "pop.payload" and its staticParameters ("bucket.name", "limits", "region"))"},
      {R"({"p": "@<pop.payload::x"})",
       R"(at /p: malformed reference "@<pop.payload::x": no closing ">")"},
      {R"({"p": "@<region::~2>"})",
       R"(at /p: malformed reference "@<region::~2>": bad "~" escape in pointer "~2"; "~" must be followed by 0 or 1)"},
      {R"({"p": "@<.out>"})",
       R"(at /p: malformed reference "@<.out>": the operation name before ".out" is empty)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.document);
    auto bound = bind(Json::parse(c.document));
    ASSERT_FALSE(bound);
    EXPECT_EQ(bound.error().code, ErrorCode::kInvalidAgenda);
    EXPECT_EQ(bound.error().message, c.message);
  }
}

TEST_F(TemplateBindingTest, TrialBindTakesMissingPayloadPathsAsNull) {
  payload_ = nullptr;
  const Json document = Json::parse(R"({"a": "@<pop.payload::file>", "b": "@<pop.payload>",
                                        "c": "x@<pop.payload::y/z>y", "d": "@<pop.payload::q?d>"})");
  EXPECT_FALSE(bind(document));
  auto trial = bind(document, true);
  ASSERT_TRUE(trial) << trial.error().message;
  EXPECT_EQ(*trial, Json::parse(R"({"a": null, "b": null, "c": "xy", "d": "d"})"));
  // Static parameters are known when the template is stored: they stay strict.
  EXPECT_FALSE(bind(Json::parse(R"({"a": "@<region::x>"})"), true));
}

// A payload repeated into the agenda: the budget is charged before each copy, so binding
// stops at the first copy past the limit, naming its path, token and the limit.
TEST_F(TemplateBindingTest, BindingStopsAtTheFirstValueThatPassesTheLimit) {
  payload_ = std::string(600, 'p');
  Json copies = Json::array();
  for (int i = 0; i < 1000; ++i) copies.push_back("@<pop.payload>");
  auto bound = bind(Json{{"x", copies}}, false, {20'000, 1'000'000});
  ASSERT_FALSE(bound);
  EXPECT_EQ(bound.error().code, ErrorCode::kTooLarge);
  // The document is 17,007 bytes; each copy adds 602 - 16 = 586: the sixth passes 20,000.
  EXPECT_EQ(bound.error().message,
            "at /x/5: reference \"@<pop.payload>\": the result would pass the limit of 20000 "
            "bytes (serialised)");

  static_parameters_["many"] = Json::array();
  for (int i = 0; i < 100; ++i) static_parameters_["many"].push_back(i);
  auto values = bind(Json::array({"@<many>", "@<many>", "@<many>"}), false, {1u << 20, 250});
  ASSERT_FALSE(values);
  EXPECT_EQ(values.error().message,
            "at /2: reference \"@<many>\": the result would pass the limit of 250 JSON values");

  auto embedded = bind(Json("@<pop.payload> and @<pop.payload>"), false, {1000, 100});
  ASSERT_FALSE(embedded);
  EXPECT_EQ(embedded.error().code, ErrorCode::kTooLarge);
  EXPECT_TRUE(bind(Json("@<pop.payload> and @<a.out>"), false, {1000, 100}));
}

TEST(LiteralNamesAndTypesTest, TokensInOperationNamesAndTypesAreRefused) {
  EXPECT_TRUE(check_literal_names_and_types(Json::parse(R"({"operations": [
      {"name": "a", "type": "sample", "payload": "@<pop.payload>"}]})")));
  // Not this check's business: the trial bind reports a malformed agenda.
  EXPECT_TRUE(check_literal_names_and_types(Json(5)));
  EXPECT_TRUE(check_literal_names_and_types(Json::parse(R"({"operations": 1})")));

  auto refused = check_literal_names_and_types(Json::parse(R"({"operations": [
      {"name": "a", "type": "@<pop.payload::/t?sample>"},
      {"name": "x-@<region>", "type": "sample"},
      {"name": "ok", "type": "sample"}]})"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidAgenda);
  EXPECT_EQ(refused.error().details,
            (std::vector<std::string>{
                "operation \"a\", field type: must be written out in a template, not bound "
                "from a reference: \"@<pop.payload::/t?sample>\"",
                "operation \"#1\", field name: must be written out in a template, not bound "
                "from a reference: \"x-@<region>\""}));
}

TEST(StaticParameterNameTest, NamesThatWouldBeAmbiguousAreRefused) {
  for (const char* good : {"region", "bucket.name", "a b", "x?y"})
    EXPECT_TRUE(check_static_parameter_name(good)) << good;
  for (const char* bad : {"", "a>b", "a::b", "pop.payload", "pop.mine", "encode.out"})
    EXPECT_FALSE(check_static_parameter_name(bad)) << bad;
}

}  // namespace
}  // namespace pop
