// API tokens against a real SQLite store and a fake clock: who may issue, see and revoke
// which tokens, and what a token authenticates as through its life.
#include "service/tokens/token_service.h"

#include <gtest/gtest.h>

#include "store/sqlite/sqlite_store.h"
#include "util/temp_dir.h"

namespace pop::service {
namespace {

using auth::Principal;
using auth::Role;

class TokenServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("pop-token-test-");
    ASSERT_TRUE(dir.has_value());
    dir_.emplace(std::move(*dir));
    store::sqlite::SqliteStoreOptions options;
    options.data_directory = dir_->path();
    auto store = store::sqlite::SqliteStore::open(options);
    ASSERT_TRUE(store.has_value()) << store.error().message;
    store_ = std::move(*store);
    tokens_ = std::make_unique<TokenService>(*store_, clock_);
    ASSERT_TRUE(store_->create_document({store::DocumentKind::kResourcePool, "gpu", "", 0,
                                         clock_.now(), clock_.now(), Json{{"id", "gpu"}}}));
  }

  IssuedToken create(const Principal& caller, const Json& body) {
    auto issued = tokens_->create(caller, body);
    EXPECT_TRUE(issued.has_value()) << (issued ? "" : issued.error().message);
    return issued ? *issued : IssuedToken{};
  }

  Error create_error(const Principal& caller, const Json& body) {
    auto issued = tokens_->create(caller, body);
    EXPECT_FALSE(issued.has_value());
    return issued ? Error{} : issued.error();
  }

  Result<std::optional<Principal>> authenticate(const std::string& token) {
    return tokens_->authenticate(token);
  }

  std::optional<TempDir> dir_;
  ManualClock clock_{WallTime(std::chrono::milliseconds(1795852800000))};
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<TokenService> tokens_;
  const Principal admin_ = auth::admin_principal("token:root");
  const Principal acme_ = auth::member_principal("token:acme", {"acme"});
};

TEST_F(TokenServiceTest, EachRoleAuthenticatesAsIssuedAndOnlyTheHashIsStored) {
  const IssuedToken member =
      create(admin_, {{"role", "member"}, {"customerIds", {"globex", "acme", "acme"}}});
  const IssuedToken puller = create(admin_, {{"role", "puller"}, {"resourcePoolId", "gpu"}});
  const IssuedToken admin = create(admin_, {{"role", "admin"}, {"description", "ops"}});

  auto as_member = authenticate(member.token);
  ASSERT_TRUE(as_member && *as_member);
  EXPECT_EQ((*as_member)->role, Role::kMember);
  EXPECT_EQ((*as_member)->customer_ids, (std::vector<std::string>{"acme", "globex"}));
  EXPECT_EQ((*as_member)->name, "token:" + member.document["id"].get<std::string>());
  auto as_puller = authenticate(puller.token);
  ASSERT_TRUE(as_puller && *as_puller);
  EXPECT_EQ((*as_puller)->role, Role::kPuller);
  EXPECT_EQ((*as_puller)->resource_pool_id, "gpu");
  auto as_admin = authenticate(admin.token);
  ASSERT_TRUE(as_admin && *as_admin);
  EXPECT_TRUE((*as_admin)->is_admin());

  // The public view and the store hold no secret; the default lifetime is 90 days.
  EXPECT_FALSE(member.document.contains("secretHash"));
  EXPECT_EQ(member.document["expiresAt"], "2027-02-26T08:00:00.000Z");
  auto stored = store_->get_document(store::DocumentKind::kApiToken,
                                     member.document["id"].get<std::string>());
  ASSERT_TRUE(stored.has_value());
  // "pop_<id>_<secret>": the secret is base64url, which may itself hold '_'.
  const std::string secret = member.token.substr(member.token.find('_', 4) + 1);
  ASSERT_GE(secret.size(), 40u) << member.token;
  EXPECT_EQ(stored->document.dump().find(secret), std::string::npos);
  EXPECT_EQ(stored->document["secretHash"].get<std::string>().size(), 64u);
}

TEST_F(TokenServiceTest, TokensOfOtherKindsAreLeftToOtherAuthenticators) {
  for (const char* other : {"popr1.a.b", "eyJhbGciOiJIUzI1NiJ9.e30.sig", "secret"}) {
    auto result = authenticate(other);
    ASSERT_TRUE(result.has_value()) << other;
    EXPECT_FALSE(result->has_value()) << other;
  }
}

TEST_F(TokenServiceTest, ForgedExpiredAndRevokedTokensAreRefusedWithTheirReason) {
  const IssuedToken token = create(admin_, {{"role", "admin"}, {"expiresInSeconds", 60}});
  const std::string id = token.document["id"];
  // A character in the middle of the secret: the last one of its base64url text carries
  // padding bits too, and changing those makes the token malformed rather than unknown.
  std::string forged = token.token;
  char& changed = forged[forged.size() - 10];
  changed = changed == 'A' ? 'B' : 'A';
  EXPECT_EQ(authenticate(forged).error().message, "unknown API token " + id);
  EXPECT_EQ(authenticate("pop_0123456789abcdef_" + token.token.substr(21)).error().message,
            "unknown API token 0123456789abcdef");
  EXPECT_EQ(authenticate("pop_short").error().message, "the API token is malformed");
  EXPECT_EQ(authenticate(forged).error().code, ErrorCode::kUnauthenticated);

  clock_.advance(std::chrono::seconds(61));
  EXPECT_EQ(authenticate(token.token).error().message, "the API token expired (" + id + ")");

  const IssuedToken other = create(admin_, {{"role", "admin"}});
  ASSERT_TRUE(authenticate(other.token).has_value());
  auto revoked = tokens_->revoke(admin_, other.document["id"].get<std::string>());
  ASSERT_TRUE(revoked.has_value());
  EXPECT_TRUE((*revoked)["revokedAt"].is_string());
  EXPECT_EQ(authenticate(other.token).error().message,
            "the API token was revoked (" + other.document["id"].get<std::string>() + ")");
  // Revoking again is no error, and the token stays listed.
  EXPECT_TRUE(tokens_->revoke(admin_, other.document["id"].get<std::string>()).has_value());
  auto listed = tokens_->list(admin_, "", 100);
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(listed->items.size(), 2u);
}

// A stored token document is read without trusting its shape (another version wrote it, or it
// was altered): a field of the wrong type makes the token unusable or invisible, never an
// exception on the request's thread.
TEST_F(TokenServiceTest, StoredTokensWithMistypedFieldsAreRefusedNotThrown) {
  const IssuedToken member = create(admin_, {{"role", "member"}, {"customerIds", {"acme"}}});
  const std::string id = member.document["id"];
  auto alter = [&](const std::string& field, const Json& value) {
    auto stored = store_->get_document(store::DocumentKind::kApiToken, id);
    ASSERT_TRUE(stored.has_value());
    stored->document[field] = value;
    ASSERT_TRUE(store_->update_document(*stored, stored->version).has_value());
  };

  alter("customerIds", Json::array({5}));
  auto listed = tokens_->list(acme_, "", 100);
  ASSERT_TRUE(listed.has_value());
  EXPECT_TRUE(listed->items.empty());

  alter("role", 5);
  auto unknown_role = authenticate(member.token);
  ASSERT_FALSE(unknown_role.has_value());
  EXPECT_EQ(unknown_role.error().code, ErrorCode::kInternal);
  EXPECT_EQ(unknown_role.error().message, "API token " + id + " has no known role");
  EXPECT_EQ(tokens_->get(acme_, id).error().code, ErrorCode::kNotFound);

  alter("secretHash", Json::object());
  EXPECT_EQ(authenticate(member.token).error().message, "unknown API token " + id);
}

TEST_F(TokenServiceTest, MembersIssueMemberTokensForTheirOwnCustomersOnly) {
  const IssuedToken own = create(acme_, {{"description", "ci"}});
  EXPECT_EQ(own.document["role"], "member");
  EXPECT_EQ(own.document["customerIds"], Json({"acme"}));
  EXPECT_EQ(create_error(acme_, {{"role", "admin"}}).code, ErrorCode::kForbidden);
  EXPECT_EQ(create_error(acme_, {{"role", "puller"}, {"resourcePoolId", "gpu"}}).code,
            ErrorCode::kForbidden);
  const Error foreign = create_error(acme_, {{"customerIds", {"acme", "globex"}}});
  EXPECT_EQ(foreign.code, ErrorCode::kForbidden);
  EXPECT_EQ(foreign.message,
            "a member may issue tokens only for its own customers, not \"globex\"");
  for (const Principal& nobody :
       {auth::puller_principal("token:p", "gpu"), Principal{Role::kReporter, "r", {}, {}, {}}}) {
    EXPECT_EQ(create_error(nobody, {{"role", "member"}, {"customerIds", {"acme"}}}).code,
              ErrorCode::kForbidden);
    EXPECT_EQ(tokens_->list(nobody, "", 10).error().code, ErrorCode::kForbidden);
  }
}

TEST_F(TokenServiceTest, BadRequestsNameTheField) {
  const std::pair<Json, std::string> cases[] = {
      {Json::array(), "request body must be an object"},
      {{{"role", "root"}}, "role must be \"admin\", \"member\" or \"puller\""},
      {{{"role", "member"}}, "a member token needs customerIds"},
      {{{"role", "puller"}}, "a puller token needs a resourcePoolId"},
      {{{"role", "puller"}, {"resourcePoolId", "cpu"}}, "resourcePoolId: no resource pool \"cpu\""},
      {{{"role", "admin"}, {"customerIds", {"acme"}}}, "only a member token has customerIds"},
      {{{"role", "admin"}, {"expiresInSeconds", 0}},
       "expiresInSeconds must be an integer from 1 to 316224000 (ten years)"},
      {{{"role", "admin"}, {"expiresAt", "2020-01-01T00:00:00Z"}},
       "expiresAt must be a time (2026-12-31T00:00:00Z) in the next ten years"},
      {{{"role", "admin"}, {"scopes", "all"}},
       "unknown field \"scopes\" (expected role, customerIds, resourcePoolId, description, "
       "expiresInSeconds, expiresAt)"},
  };
  for (const auto& [body, message] : cases) {
    const Error error = create_error(admin_, body);
    EXPECT_EQ(error.code, ErrorCode::kInvalidArgument) << body.dump();
    EXPECT_EQ(error.message, message) << body.dump();
  }
  auto listed = tokens_->list(admin_, "", 100);
  ASSERT_TRUE(listed.has_value());
  EXPECT_TRUE(listed->items.empty()) << "a refused request stored a token";
}

TEST_F(TokenServiceTest, MembersSeeOnlyTokensAllOfWhoseCustomersAreTheirsAndPagesStayFull) {
  for (int i = 0; i < 5; ++i) {
    create(admin_, {{"role", "member"}, {"customerIds", {"acme"}}});
    create(admin_, {{"role", "member"}, {"customerIds", {"acme", "globex"}}});
    create(admin_, {{"role", "admin"}});
  }
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    auto listed = tokens_->list(acme_, cursor, 2);
    ASSERT_TRUE(listed.has_value());
    for (const Json& token : listed->items) {
      EXPECT_EQ(token["customerIds"], Json({"acme"}));
      seen.push_back(token["id"]);
    }
    if (!listed->next_cursor) break;
    EXPECT_EQ(listed->items.size(), 2u) << "a page that is not the last is full";
    cursor = *listed->next_cursor;
  }
  EXPECT_EQ(seen.size(), 5u);
  auto admin_view = tokens_->list(admin_, "", 1000);
  ASSERT_TRUE(admin_view.has_value());
  EXPECT_EQ(admin_view->items.size(), 15u);

  // Another customer's token is not there, on every verb.
  const IssuedToken globex = create(admin_, {{"role", "member"}, {"customerIds", {"globex"}}});
  const std::string id = globex.document["id"];
  EXPECT_EQ(tokens_->get(acme_, id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(tokens_->revoke(acme_, id).error().message, "no API token \"" + id + "\"");
  EXPECT_EQ(tokens_->get(acme_, "nope").error().message, "no API token \"nope\"");
  EXPECT_TRUE(authenticate(globex.token).has_value() && authenticate(globex.token)->has_value());
}

}  // namespace
}  // namespace pop::service
