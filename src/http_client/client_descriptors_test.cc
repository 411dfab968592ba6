// A client's descriptors (libcurl's connections and its multi handle's wake-up pair) must
// not reach a program this process starts.
#include <gtest/gtest.h>

#include <algorithm>

#include "http_client/client.h"
#include "http_client/test_server.h"
#include "util/close_on_exec.h"

namespace pop::http_client {
namespace {

TEST(ClientDescriptors, AreCloseOnExec) {
  auto server = testing::TestServer::start_tcp(
      [](const testing::ReceivedRequest&, testing::Connection& connection) {
        connection.respond(200, "ok", {});
      });
  ASSERT_TRUE(server);
  const std::vector<int> before = inheritable_descriptors();
  auto client = Client::create(testing::options_for(*server));
  ASSERT_TRUE(client) << client.error().message;
  // The keep-alive connection stays open after the answer.
  auto response = client->request("GET", "/");
  ASSERT_TRUE(response) << response.error().message;
  // Nothing new is inheritable (what this process inherited may have been marked meanwhile).
  for (int fd : inheritable_descriptors())
    EXPECT_NE(std::find(before.begin(), before.end(), fd), before.end()) << "descriptor " << fd;
}

}  // namespace
}  // namespace pop::http_client
