// Authentication end to end through the CLI: the bootstrap admin token, `pop token
// create|list|revoke`, a member token's reach, and the audit log of it all.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "testing/pop_server_fixture.h"

namespace pop::cli {
using Json = nlohmann::json;

namespace {

class TokenCommandsTest : public pop::testing::PopServerFixture {
 protected:
  pop::testing::ProcessResult pop_cli(std::vector<std::string> arguments,
                                      const std::map<std::string, std::string>& environment) {
    arguments.insert(arguments.begin(), POP_BINARY);
    arguments.push_back("--server");
    arguments.push_back(base_url_);
    return pop::testing::run_process(arguments, environment, dir_->path().string());
  }
};

TEST_F(TokenCommandsTest, BootstrapTokenIsPrivateAndTheCliFindsItOnThisMachine) {
  struct stat info {};
  ASSERT_EQ(::stat((data_dir() / "admin.token").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  const std::string token = server_->admin_token();
  EXPECT_TRUE(token.starts_with("pop_")) << token;

  // Found through POP_DATA; without it (and no ./pop-data) the server refuses the CLI.
  EXPECT_EQ(pop_cli({"list"}, cli_environment()).exit_status, 0);
  auto anonymous = pop_cli({"list"}, {});
  EXPECT_EQ(anonymous.exit_status, 2);
  EXPECT_NE(anonymous.err.find("the request has no Authorization header"), std::string::npos)
      << anonymous.err;
  EXPECT_EQ(anonymous.err.find(token), std::string::npos);
}

TEST_F(TokenCommandsTest, MemberTokensReachTheirCustomerOnlyUntilRevoked) {
  auto created =
      pop_cli({"token", "create", "--customer", "acme", "--description", "ci"}, cli_environment());
  ASSERT_EQ(created.exit_status, 0) << created.err;
  const std::string member = created.out.substr(0, created.out.find('\n'));
  ASSERT_TRUE(member.starts_with("pop_")) << created.out;
  EXPECT_NE(created.err.find("shown once"), std::string::npos) << created.err;
  const std::string id = member.substr(4, 16);

  // The admin's agenda is not the member's to see; its own is.
  auto admins = call("POST", "/v1/agendas", R"({"operations": [{"name": "a", "type": "sample"}]})");
  ASSERT_EQ(admins.status, 201);
  const std::string admins_id = Json::parse(admins.body)["id"];
  auto status = pop_cli({"status", admins_id, "--token", member}, {});
  EXPECT_EQ(status.exit_status, 2);
  EXPECT_NE(status.err.find("no agenda " + admins_id), std::string::npos) << status.err;
  auto submitted = pop_cli({"submit", "-", "--token", member}, {});
  EXPECT_EQ(submitted.exit_status, 2) << "no agenda on stdin";
  auto listed = pop_cli({"token", "list", "-o", "json", "--token", member}, {});
  ASSERT_EQ(listed.exit_status, 0) << listed.err;
  const Json tokens = Json::parse(listed.out);
  ASSERT_EQ(tokens.size(), 1u) << "a member sees its own customers' tokens only";
  EXPECT_EQ(tokens[0]["id"], id);
  auto escalate = pop_cli({"token", "create", "--role", "admin", "--token", member}, {});
  EXPECT_EQ(escalate.exit_status, 2);
  EXPECT_NE(escalate.err.find("a customer member may issue member tokens only"), std::string::npos)
      << escalate.err;

  auto revoked = pop_cli({"token", "revoke", id}, cli_environment());
  ASSERT_EQ(revoked.exit_status, 0) << revoked.err;
  auto refused = pop_cli({"list", "--token", member}, {});
  EXPECT_EQ(refused.exit_status, 2);
  EXPECT_NE(refused.err.find("the API token was revoked"), std::string::npos) << refused.err;

  // Both refusals are in the server's log with their reasons, the secret nowhere.
  const std::string server_log = server_->stderr_so_far();
  for (const std::string& line :
       {std::string("refused method=GET path=/v1/agendas peer=127.0.0.1:"),
        "the API token was revoked (" + id + ")",
        "forbidden method=POST path=/v1/tokens caller=token:" + id}) {
    EXPECT_NE(server_log.find(line), std::string::npos) << line << "\n" << server_log;
  }
  EXPECT_EQ(server_log.find(member.substr(21)), std::string::npos) << "a secret was logged";

  // Who did what, newest first: the revoke, the member's refused escalation, the create.
  auto audit = call("GET", "/v1/audit?order=newest&limit=20");
  ASSERT_EQ(audit.status, 200) << audit.body;
  std::vector<std::string> seen;
  const Json log = Json::parse(audit.body);
  for (const Json& record : log["items"]) {
    if (record["action"].get<std::string>().starts_with("token."))
      seen.push_back(record["action"].get<std::string>() + " " +
                     record["outcome"].get<std::string>() + " by " +
                     record["actor"].get<std::string>());
  }
  const std::string admin = "token:" + server_->admin_token().substr(4, 16);
  EXPECT_EQ(seen, (std::vector<std::string>{"token.revoke ok by " + admin,
                                            "token.create forbidden by token:" + id,
                                            "token.create ok by " + admin}));
}

}  // namespace
}  // namespace pop::cli
