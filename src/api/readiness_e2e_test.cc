// End to end: GET/HEAD /readyz of a real `pop server` follows whether its store accepts
// writes, while /healthz (the process is alive) stays 200. The disk is made to refuse writes
// with a file size limit on the server process (prlimit RLIMIT_FSIZE): every write to a file
// past its first byte fails, as on a full disk, and lifting the limit is the disk freed.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <nlohmann/json.hpp>

#include "testing/pop_server_fixture.h"

namespace pop::api {
using Json = nlohmann::json;

namespace {

using namespace std::chrono_literals;

class ReadinessTest : public pop::testing::PopServerFixture {
 protected:
  std::vector<std::string> server_arguments() const override { return {"--no-embedded-puller"}; }

  // Sets the server's soft file size limit, keeping its hard one.
  void limit_file_size(rlim_t bytes) {
    struct rlimit current {};
    ASSERT_EQ(::prlimit(server_->pid(), RLIMIT_FSIZE, nullptr, &current), 0);
    struct rlimit wanted = {bytes, current.rlim_max};
    ASSERT_EQ(::prlimit(server_->pid(), RLIMIT_FSIZE, &wanted, nullptr), 0);
  }

  // An unauthenticated request, as a load balancer's probe sends it.
  http_client::Response probe(const std::string& method, const std::string& target) {
    auto anonymous = server_->client("");
    auto response = anonymous.request(method, target, "", {});
    EXPECT_TRUE(response.has_value());
    return response ? *response : http_client::Response{};
  }
};

TEST_F(ReadinessTest, ReadyzIsOpenAndAnswersHead) {
  auto ready = probe("GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(Json::parse(ready.body)["status"], "ready");
  auto head = probe("HEAD", "/readyz");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
}

TEST_F(ReadinessTest, ReadyzIs503WhileTheStoreCannotWriteAndRecovers) {
  ASSERT_EQ(probe("GET", "/readyz").status, 200);
  limit_file_size(1);
  http_client::Response refused;
  EXPECT_TRUE(testing::eventually(
      [&] {
        refused = probe("GET", "/readyz");
        return refused.status == 503;
      },
      10s))
      << refused.status << " " << refused.body;
  EXPECT_EQ(Json::parse(refused.body)["error"]["code"], "unavailable") << refused.body;
  EXPECT_NE(refused.body.find("store"), std::string::npos) << refused.body;
  EXPECT_EQ(probe("HEAD", "/readyz").status, 503);
  // Alive all the while, and the failing writes are refused, not fatal.
  const auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(probe("GET", "/healthz").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
  EXPECT_EQ(
      call("POST", "/v1/agendas", R"({"operations": [{"name": "a", "type": "sample"}]})").status,
      503);

  limit_file_size(RLIM_INFINITY);
  EXPECT_TRUE(testing::eventually([&] { return probe("GET", "/readyz").status == 200; }, 10s));
  EXPECT_EQ(
      call("POST", "/v1/agendas", R"({"operations": [{"name": "a", "type": "sample"}]})").status,
      201);
}

}  // namespace
}  // namespace pop::api
