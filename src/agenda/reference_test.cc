#include "agenda/reference.h"

#include <gtest/gtest.h>

#include <map>
#include <utility>

#include "agenda/agenda.h"

namespace pop {
namespace {

using Source = Reference::Source;

struct ParseCase {
  ParseCase(std::string text_in, Source source_in, std::string name_in, std::string pointer_in,
            bool has_fallback_in = false, std::optional<std::string> fallback_in = std::nullopt)
      : text(std::move(text_in)),
        source(source_in),
        name(std::move(name_in)),
        pointer(std::move(pointer_in)),
        has_fallback(has_fallback_in),
        fallback_text(std::move(fallback_in)) {}

  std::string text;
  Source source;
  std::string name;
  std::string pointer;  // json_pointer::to_string()
  bool has_fallback;
  std::optional<std::string> fallback_text;
};

TEST(ReferenceTest, ParsesEveryGrammarForm) {
  const std::vector<ParseCase> cases = {
      {"@<a.out>", Source::kOperationOutput, "a", ""},
      {"@<a.out::>", Source::kOperationOutput, "a", ""},
      {"@<a.out::/>", Source::kOperationOutput, "a", ""},
      {"@<a.out::x/y>", Source::kOperationOutput, "a", "/x/y"},
      {"@<a.out::/x/y>", Source::kOperationOutput, "a", "/x/y"},
      {"@<a.out::x/0>", Source::kOperationOutput, "a", "/x/0"},
      {"@<a.out::a~1b/c~0d>", Source::kOperationOutput, "a", "/a~1b/c~0d"},
      {"@<a.out::x?>", Source::kOperationOutput, "a", "/x", true, std::nullopt},
      {"@<a.out::x?some text>", Source::kOperationOutput, "a", "/x", true, "some text"},
      {"@<a.out::?>", Source::kOperationOutput, "a", "", true, std::nullopt},
      {"@<a.out::x?a?b>", Source::kOperationOutput, "a", "/x", true, "a?b"},
      {"@<Encode.Step-1.out>", Source::kOperationOutput, "Encode.Step-1", ""},
      {"@<pop.out>", Source::kOperationOutput, "pop", ""},
      {"@<a.out::x::y>", Source::kOperationOutput, "a", "/x::y"},
      {"@<pop.agendaId>", Source::kPopValue, "agendaId", ""},
      {"@<pop.operationName>", Source::kPopValue, "operationName", ""},
      {"@<pop.payload::k/0?>", Source::kPopValue, "payload", "/k/0", true, std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto found = find_references(c.text);
    ASSERT_TRUE(found) << found.error().message;
    ASSERT_EQ(found->size(), 1u);
    const Reference& r = found->front();
    EXPECT_EQ(r.begin, 0u);
    EXPECT_EQ(r.end, c.text.size());
    EXPECT_EQ(r.text, c.text);
    EXPECT_EQ(r.source, c.source);
    EXPECT_EQ(r.name, c.name);
    EXPECT_EQ(r.pointer.to_string(), c.pointer);
    EXPECT_EQ(r.has_fallback, c.has_fallback);
    EXPECT_EQ(r.fallback_text, c.fallback_text);
  }
}

TEST(ReferenceTest, FindsSeveralTokensWithOffsets) {
  auto found = find_references("x @<a.out> y @<b.out::k>!");
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].begin, 2u);
  EXPECT_EQ((*found)[0].end, 10u);
  EXPECT_EQ((*found)[1].begin, 13u);
  EXPECT_EQ((*found)[1].end, 24u);
  EXPECT_EQ((*found)[1].name, "b");
}

TEST(ReferenceTest, TextWithoutTokens) {
  for (std::string_view text : {"", "plain", "@ <a.out>", "mail@example.com", "a > b", "<a.out>"}) {
    auto found = find_references(text);
    ASSERT_TRUE(found) << text;
    EXPECT_TRUE(found->empty()) << text;
  }
}

TEST(ReferenceTest, MalformedTokens) {
  const std::string allowed =
      R"(expected "<operation>.out", "pop.agendaId", "pop.operationName" or "pop.payload")";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"x @<a.out", R"(malformed reference "@<a.out": no closing ">")"},
      {"@<a.out> @<b.out::k", R"(malformed reference "@<b.out::k": no closing ">")"},
      {"@<>", R"(malformed reference "@<>": the source is empty; )" + allowed},
      {"@<::x>", R"(malformed reference "@<::x>": the source is empty; )" + allowed},
      {"@<.out>", R"(malformed reference "@<.out>": the operation name before ".out" is empty)"},
      {"@<a>", R"(malformed reference "@<a>": unknown source "a"; )" + allowed},
      {"@<a.OUT>", R"(malformed reference "@<a.OUT>": unknown source "a.OUT"; )" + allowed},
      {"@<a.out?x>", R"(malformed reference "@<a.out?x>": unknown source "a.out?x"; )" + allowed},
      {"@<pop.customerId>",
       R"(malformed reference "@<pop.customerId>": unknown source "pop.customerId"; )" + allowed},
      {"@<pop.>", R"(malformed reference "@<pop.>": unknown source "pop."; )" + allowed},
      {"@<a.out::x~2>",
       R"(malformed reference "@<a.out::x~2>": bad "~" escape in pointer "x~2"; "~" must be followed by 0 or 1)"},
      {"@<a.out::x~?>",
       R"(malformed reference "@<a.out::x~?>": bad "~" escape in pointer "x~"; "~" must be followed by 0 or 1)"},
  };
  for (const auto& [text, message] : cases) {
    auto found = find_references(text);
    ASSERT_FALSE(found) << text;
    EXPECT_EQ(found.error().code, ErrorCode::kInvalidAgenda) << text;
    EXPECT_EQ(found.error().message, message) << text;
  }
}

TEST(ReferenceTest, RunawayTokenIsShortenedOnACharacterBoundary) {
  // 99 ASCII bytes, then "é" (2 bytes) straddling the 100-byte cut.
  std::string text = "@<" + std::string(97, 'a') + "\xC3\xA9" + std::string(500, 'b');
  auto found = find_references(text);
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().message,
            "malformed reference \"@<" + std::string(97, 'a') + "...\": no closing \">\"");
}

TEST(ReferenceTest, ForEachStringVisitsValuesNotKeysWithEscapedPaths) {
  Json document = Json::parse(R"({"a/b": ["x", {"c~d": "y"}], "n": 1, "@<k.out>": null})");
  std::vector<std::pair<std::string, std::string>> seen;
  for_each_string(document, [&](const std::string& path, const std::string& value) {
    seen.emplace_back(path, value);
  });
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{{"/a~1b/0", "x"},
                                                                    {"/a~1b/1/c~0d", "y"}}));
  seen.clear();
  for_each_string(Json("root"), [&](const std::string& path, const std::string& value) {
    seen.emplace_back(path, value);
  });
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{{"", "root"}}));
}

class ResolveTest : public ::testing::Test {
 protected:
  ResolveTest() {
    outputs_["a"] = Json::parse(R"({"s": "str", "n": 5, "f": 1.5, "t": true, "no": false,
        "nul": null, "obj": {"k": "v"}, "arr": [1, 2], "a/b": "slash", "c~d": "tilde",
        "": "empty key"})");
    outputs_["b"] = "plain output";
    outputs_["c"] = "@<a.out::s>";
    context_.operation_output = [this](std::string_view name) -> const Json* {
      auto it = outputs_.find(fold_name(name));
      return it == outputs_.end() ? nullptr : &it->second;
    };
    context_.agenda_id = "ag-1";
    context_.operation_name = "op-x";
    context_.payload = &payload_;
  }

  Result<Json> resolve(const Json& document, JsonSize limit = {1u << 20, 100'000}) {
    return resolve_references(document, context_, limit);
  }

  std::map<std::string, Json> outputs_;  // keys folded, as an executor would keep them
  Json payload_ = Json::parse(R"({"k": [3, "three"]})");
  ReferenceContext context_;
};

TEST_F(ResolveTest, WholeStringTokenBecomesTheValueOfAnyType) {
  const std::vector<std::pair<std::string, Json>> cases = {
      {"@<a.out::s>", "str"},
      {"@<a.out::n>", 5},
      {"@<a.out::f>", 1.5},
      {"@<a.out::t>", true},
      {"@<a.out::no>", false},
      {"@<a.out::nul>", nullptr},
      {"@<a.out::obj>", Json({{"k", "v"}})},
      {"@<a.out::arr>", Json::array({1, 2})},
      {"@<a.out::arr/1>", 2},
      {"@<a.out::/arr/1>", 2},
      {"@<a.out::obj/k>", "v"},
      {"@<a.out::a~1b>", "slash"},
      {"@<a.out::c~0d>", "tilde"},
      {"@<a.out::/>", outputs_["a"]},
      {"@<a.out::>", outputs_["a"]},
      {"@<a.out>", outputs_["a"]},
      {"@<A.out::s>", "str"},  // operation names are case-insensitive
      {"@<b.out>", "plain output"},
      {"@<pop.agendaId>", "ag-1"},
      {"@<pop.operationName>", "op-x"},
      {"@<pop.payload>", payload_},
      {"@<pop.payload::k/1>", "three"},
  };
  for (const auto& [text, expected] : cases) {
    auto resolved = resolve(Json(text));
    ASSERT_TRUE(resolved) << text << ": " << resolved.error().message;
    EXPECT_EQ(*resolved, expected) << text;
  }
}

TEST_F(ResolveTest, Fallbacks) {
  const std::vector<std::pair<std::string, Json>> cases = {
      {"@<a.out::missing?>", nullptr},
      {"@<a.out::missing?default>", "default"},
      {"@<a.out::s?default>", "str"},  // the path exists: no fallback
      {"@<a.out::nul?default>", nullptr},
      {"@<a.out::arr/9?>", nullptr},
      {"@<a.out::arr/x?>", nullptr},
      {"@<a.out::arr/-?>", nullptr},
      {"@<a.out::arr/01?>", nullptr},
      {"@<a.out::s/deeper?>", nullptr},
      {"@<b.out::k?none>", "none"},
      {"@<pop.agendaId::x?>", nullptr},
      {"x-@<a.out::missing?default>", "x-default"},
      {"x-@<a.out::missing?>-y", "x--y"},
  };
  for (const auto& [text, expected] : cases) {
    auto resolved = resolve(Json(text));
    ASSERT_TRUE(resolved) << text << ": " << resolved.error().message;
    EXPECT_EQ(*resolved, expected) << text;
  }
}

TEST_F(ResolveTest, CompositeStringsTakeScalarText) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"id=@<pop.agendaId>", "id=ag-1"},
      {"n=@<a.out::n> f=@<a.out::f> t=@<a.out::t> no=@<a.out::no> nul=[@<a.out::nul>]",
       "n=5 f=1.5 t=true no=false nul=[]"},
      {"@<a.out::s>@<a.out::s>", "strstr"},
      {" @<a.out::n>", " 5"},
      {"@<a.out::s>.mp4", "str.mp4"},
      {"@<b.out>/@<pop.operationName>", "plain output/op-x"},
  };
  for (const auto& [text, expected] : cases) {
    auto resolved = resolve(Json(text));
    ASSERT_TRUE(resolved) << text << ": " << resolved.error().message;
    EXPECT_EQ(*resolved, Json(expected)) << text;
  }
}

TEST_F(ResolveTest, Errors) {
  const std::vector<std::pair<Json, std::string>> cases = {
      {"x@<a.out::obj>",
       R"(reference "@<a.out::obj>": yields an object, which cannot be embedded in a longer string)"},
      {"@<a.out::arr>x",
       R"(reference "@<a.out::arr>": yields an array, which cannot be embedded in a longer string)"},
      {"@<pending.out>",
       R"(reference "@<pending.out>": the output of operation "pending" is not available)"},
      {"@<a.out::missing>", R"(reference "@<a.out::missing>": path "/missing" does not exist)"},
      {"@<a.out::arr/-> ", R"(reference "@<a.out::arr/->": path "/arr/-" does not exist)"},
      {"@<zz>",
       R"(malformed reference "@<zz>": unknown source "zz"; expected "<operation>.out", "pop.agendaId", "pop.operationName" or "pop.payload")"},
      {Json::parse(R"({"in": {"x/y": ["ok", "@<a.out::missing>"]}})"),
       R"(at /in/x~1y/1: reference "@<a.out::missing>": path "/missing" does not exist)"},
  };
  for (const auto& [document, message] : cases) {
    auto resolved = resolve(document);
    ASSERT_FALSE(resolved) << document;
    EXPECT_EQ(resolved.error().code, ErrorCode::kInvalidAgenda);
    EXPECT_EQ(resolved.error().message, message);
  }
}

TEST_F(ResolveTest, UnboundPayloadAndMissingCallback) {
  ReferenceContext bare;
  auto payload = resolve_references(Json("@<pop.payload>"), bare, {100, 10});
  ASSERT_FALSE(payload);
  EXPECT_EQ(payload.error().message,
            R"(reference "@<pop.payload>": pop.payload is bound only when running a template)");
  auto output = resolve_references(Json("@<a.out>"), bare, {100, 10});
  ASSERT_FALSE(output);
  EXPECT_EQ(output.error().message,
            R"(reference "@<a.out>": the output of operation "a" is not available)");
}

TEST_F(ResolveTest, SubstitutedTextIsNeverRescanned) {
  // c's output is itself the text of a token; it must come through literally.
  EXPECT_EQ(*resolve(Json("@<c.out>")), Json("@<a.out::s>"));
  EXPECT_EQ(*resolve(Json("x @<c.out>")), Json("x @<a.out::s>"));
  outputs_["d"] = Json::parse(R"({"inner": "@<a.out::n>"})");
  EXPECT_EQ(*resolve(Json("@<d.out>")), Json::parse(R"({"inner": "@<a.out::n>"})"));
}

TEST_F(ResolveTest, OnlyStringValuesAreVisitedNeverKeys) {
  Json document = Json::parse(R"({"@<a.out::s>": "@<a.out::s>", "list": [1, true, null,
      {"deep": "@<a.out::n>"}], "num": 4})");
  auto resolved = resolve(document);
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(*resolved, Json::parse(R"({"@<a.out::s>": "str", "list": [1, true, null,
      {"deep": 5}], "num": 4})"));
  EXPECT_EQ(document["@<a.out::s>"], "@<a.out::s>");  // the input is left alone
}

// A fan-in of one large output: the budget is charged before each copy, so resolution stops
// at the first copy that does not fit, naming its path, token and the limit.
TEST_F(ResolveTest, ResolutionStopsAtTheFirstValueThatPassesTheLimit) {
  outputs_["big"] = std::string(600, 'x');  // 602 bytes serialised
  Json fan_in = Json::array();
  for (int i = 0; i < 20; ++i) fan_in.push_back("@<big.out>");
  // 267 bytes unresolved; the first copy makes it 857, the second would make it 1447.
  auto resolved = resolve(Json{{"x", fan_in}}, {1000, 100'000});
  ASSERT_FALSE(resolved);
  EXPECT_EQ(resolved.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(resolved.error().message,
            "at /x/1: reference \"@<big.out>\": the result would pass the limit of 1000 bytes "
            "(serialised)");

  // The same output once fits; exactly at the limit is within it.
  const Json once = {{"x", "@<big.out>"}};
  auto fits = resolve(once, {json_size(Json{{"x", outputs_["big"]}}).bytes, 100});
  ASSERT_TRUE(fits) << fits.error().message;
  EXPECT_EQ((*fits)["x"], outputs_["big"]);
  EXPECT_FALSE(resolve(once, {json_size(Json{{"x", outputs_["big"]}}).bytes - 1, 100}));
}

TEST_F(ResolveTest, ValuesAreLimitedLikeBytes) {
  outputs_["many"] = Json::array();
  for (int i = 0; i < 50; ++i) outputs_["many"].push_back(i);  // 51 values
  auto resolved = resolve(Json::array({"@<many.out>", "@<many.out>"}), {1u << 20, 100});
  ASSERT_FALSE(resolved);
  EXPECT_EQ(resolved.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(resolved.error().message,
            "at /1: reference \"@<many.out>\": the result would pass the limit of 100 JSON "
            "values");
}

// Tokens inside a longer string grow it piece by piece: it is checked before each piece is
// appended, so it never grows past the limit either.
TEST_F(ResolveTest, CompositeStringsStopGrowingAtTheLimit) {
  outputs_["big"] = std::string(600, 'x');
  auto resolved = resolve(Json("@<big.out>-@<big.out>-@<big.out>"), {1000, 100});
  ASSERT_FALSE(resolved);
  EXPECT_EQ(resolved.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(resolved.error().message,
            "reference \"@<big.out>\": the result would pass the limit of 1000 bytes "
            "(serialised)");
  // Escaping counts: 400 quotes are 800 bytes serialised.
  outputs_["quotes"] = std::string(400, '"');
  EXPECT_FALSE(resolve(Json("q: @<quotes.out>"), {700, 100}));
  EXPECT_TRUE(resolve(Json("q: @<quotes.out>"), {900, 100}));
}

TEST_F(ResolveTest, ADocumentAlreadyOverTheLimitIsRefused) {
  auto resolved = resolve(Json(std::string(100, 'x')), {50, 100});
  ASSERT_FALSE(resolved);
  EXPECT_EQ(resolved.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(resolved.error().message,
            "before any reference is resolved, it is over the limit of 50 bytes (serialised)");
}

}  // namespace
}  // namespace pop
