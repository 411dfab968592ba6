// A handler is somebody else's code: nothing of the server may reach it but the contract's
// descriptors. A handler that held the server's listening socket could accept API requests
// (and read other callers' bearer tokens), and would keep the port bound after the server
// was killed, so that a supervisor could not start it again.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "testing/pop_server_fixture.h"
#include "util/unique_fd.h"

namespace pop::e2e {
using Json = nlohmann::json;

namespace {

using namespace std::chrono_literals;

// Writes the descriptors it was given ("0 1 2 3") as its output, a JSON string. They are
// read from a child that inherited them (the shell itself opens more to list or redirect),
// in the C locale and once it sleeps: as it starts, sleep opens the loader's and (under
// C.UTF-8) the locale's files, and a listing at that moment shows one more ("0 1 2 3 4",
// seen under load).
constexpr const char* kRegistry = R"({"handlers": {
  "fds": {"command": ["/bin/sh", "-c",
    "LC_ALL=C sleep 30 & until grep -q 'State:.*(sleeping)' /proc/$!/status; do :; done; set -- $(ls /proc/$!/fd); kill $!; printf '\"%s\"' \"$*\" > \"$POP_OUTPUT_FILE\""]},
  "slow": {"command": ["/bin/sh", "-c", "echo $$ > \"$DIR/slow.pid\"; sleep 20"]}}})";

class HandlerIsolationTest : public pop::testing::PopServerFixture {
 protected:
  std::vector<std::string> server_arguments() const override {
    std::ofstream(dir_->path() / "handlers.json") << kRegistry;
    return {"--handlers", (dir_->path() / "handlers.json").string()};
  }
};

TEST_F(HandlerIsolationTest, HandlerHoldsOnlyTheContractDescriptors) {
  // Connections open while the handler starts: this client's and another one.
  auto other = server_->client();
  ASSERT_TRUE(other.request("GET", "/healthz"));
  auto submitted = call("POST", "/v1/agendas", R"({"operations": [{"name": "a", "type": "fds"}]})");
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  const Json progress = wait_for_outcome(Json::parse(submitted.body)["id"]);
  ASSERT_EQ(progress["processingStateMessage"], "succeeded") << progress.dump(2);
  // stdin, stdout and stderr, and the progress descriptor: no socket, no database file.
  EXPECT_EQ(progress["operationProgress"][0]["resultPayload"], "0 1 2 3");
}

// O_CLOEXEC as /proc/PID/fdinfo shows it (octal "flags:").
bool close_on_exec(pid_t pid, int fd) {
  std::ifstream info("/proc/" + std::to_string(pid) + "/fdinfo/" + std::to_string(fd));
  std::string field;
  while (info >> field) {
    if (field == "flags:") {
      std::string octal;
      info >> octal;
      return (std::stoul(octal, nullptr, 8) & O_CLOEXEC) != 0;
    }
  }
  return true;  // closed meanwhile
}

TEST_F(HandlerIsolationTest, EveryDescriptorOfTheServerIsCloseOnExec) {
  // While a handler runs (its pipes and pidfd), with client connections and the store open.
  auto submitted =
      call("POST", "/v1/agendas", R"({"operations": [{"name": "s", "type": "slow"}]})");
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  ASSERT_TRUE(
      pop::testing::eventually([&] { return std::filesystem::exists(dir_->path() / "slow.pid"); }));
  auto other = server_->client();
  ASSERT_TRUE(other.request("GET", "/healthz"));
  const std::string server_fds = "/proc/" + std::to_string(server_->pid()) + "/fd/";
  std::vector<std::string> open;
  for (const auto& entry : std::filesystem::directory_iterator(server_fds)) {
    const int fd = std::stoi(entry.path().filename().string());
    std::error_code ignored;
    const auto target = std::filesystem::read_symlink(entry.path(), ignored);
    // What the server inherited from this test process (the same descriptor, to the same
    // file) is not its own doing; a handler never gets it either (HandlerHoldsOnly...).
    const auto ours = std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), ignored);
    if (fd < 3 || (!ignored && ours == target)) continue;
    if (!close_on_exec(server_->pid(), fd))
      open.push_back(std::to_string(fd) + " -> " + target.string());
  }
  EXPECT_TRUE(open.empty()) << ::testing::PrintToString(open);
  EXPECT_EQ(
      call("POST", "/v1/agendas/" + std::string(Json::parse(submitted.body)["id"]) + "/cancel")
          .status,
      200);
}

std::uint16_t free_port() {
  UniqueFd probe(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(probe.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("no free port");
  return ntohs(address.sin_port);
}

// True once `server` says it listens; false if it exits first or takes over 30 s.
bool listening(const pop::testing::Subprocess& server) {
  return pop::testing::eventually(
             [&] {
               return server.stdout_so_far().find("listening on") != std::string::npos ||
                      pop::testing::process_gone(server.pid());
             },
             30s) &&
         !pop::testing::process_gone(server.pid());
}

// The admin's client of the server listening on `listen` with its data in `data`.
Result<http_client::Client> admin_client(const std::string& listen,
                                         const std::filesystem::path& data) {
  http_client::ClientOptions options;
  options.base_url = "http://" + listen;
  options.bearer_token = auth::read_admin_token_file(data / auth::kAdminTokenFileName).value_or("");
  return http_client::Client::create(options);
}

// Kills the handler's process group when the test ends, whatever happened.
struct GroupKiller {
  pid_t group = 0;
  ~GroupKiller() {
    if (group > 0) ::kill(-group, SIGKILL);
  }
};

TEST(ServerRestart, ListensAgainAfterKillWhileAHandlerRuns) {
  auto dir = TempDir::create("pop-restart-");
  ASSERT_TRUE(dir);
  const std::string scratch = dir->path().string();
  const std::string data = (dir->path() / "data").string();
  std::ofstream(dir->path() / "handlers.json") << kRegistry;
  const std::string listen = "127.0.0.1:" + std::to_string(free_port());
  const std::vector<std::string> argv = {
      POP_BINARY, "server", "--listen",   listen,
      "--data",   data,     "--handlers", (dir->path() / "handlers.json").string()};
  const std::map<std::string, std::string> environment = {{"DIR", scratch}};
  GroupKiller handler;
  {
    pop::testing::Subprocess first(argv, environment, scratch);
    ASSERT_TRUE(listening(first)) << first.stderr_so_far();
    auto client = admin_client(listen, data);
    ASSERT_TRUE(client);
    auto submitted = client->request("POST", "/v1/agendas",
                                     R"({"operations": [{"name": "s", "type": "slow"}]})");
    ASSERT_TRUE(submitted && submitted->status == 201);
    std::string pid_text;
    ASSERT_TRUE(pop::testing::eventually([&] {
      pid_text = pop::testing::read_file(scratch + "/slow.pid");
      return !pid_text.empty() && pid_text.back() == '\n';
    }));
    handler.group = std::stoi(pid_text);
    first.signal(SIGKILL);
    first.wait();
  }
  ASSERT_FALSE(pop::testing::process_gone(handler.group)) << "the handler outlives the server";

  const auto restart = std::chrono::steady_clock::now();
  pop::testing::Subprocess second(argv, environment, scratch);
  ASSERT_TRUE(listening(second)) << second.stderr_so_far();
  const auto took = std::chrono::steady_clock::now() - restart;
  std::printf(
      "listening again after %lld ms\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  second.signal(SIGTERM);
  EXPECT_EQ(second.wait().exit_status, 0);
}

// Under the local runner a handler runs as the server's user; as that user (not root) it
// could read the server's environment and memory through /proc, unless the server made
// itself non-dumpable.
TEST(ServerAsAnUnprivilegedUser, HandlersCannotReadTheServersEnvironment) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to start the server as another user";
  auto dir = TempDir::create("pop-nobody-");
  ASSERT_TRUE(dir);
  constexpr uid_t kNobody = 65534;
  const std::string scratch = dir->path().string();
  std::ofstream(dir->path() / "handlers.json")
      << R"({"handlers": {"peek": {"command": ["/bin/sh", "-c",
           "if cat /proc/$PPID/environ > /dev/null 2>&1; then r=readable; else r=refused; fi; printf '\"%s\"' $r > \"$POP_OUTPUT_FILE\""]}}})";
  ASSERT_EQ(::chown(scratch.c_str(), kNobody, kNobody), 0);
  ASSERT_EQ(::chown((dir->path() / "handlers.json").c_str(), kNobody, kNobody), 0);
  const std::string listen = "127.0.0.1:" + std::to_string(free_port());
  pop::testing::Subprocess server(
      {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", POP_BINARY, "server",
       "--listen", listen, "--data", scratch + "/data", "--handlers", scratch + "/handlers.json"},
      {{"POP_SECRET_OF_THE_SERVER", "x"}}, scratch);
  ASSERT_TRUE(listening(server)) << server.stderr_so_far();
  auto client = admin_client(listen, dir->path() / "data");
  ASSERT_TRUE(client);
  auto submitted =
      client->request("POST", "/v1/agendas", R"({"operations": [{"name": "p", "type": "peek"}]})");
  ASSERT_TRUE(submitted && submitted->status == 201) << server.stderr_so_far();
  const std::string id = Json::parse(submitted->body)["id"];
  Json progress;
  ASSERT_TRUE(pop::testing::eventually(
      [&] {
        auto read = client->request("GET", "/v1/agendas/" + id + "/progress");
        progress = read ? Json::parse(read->body, nullptr, false) : Json();
        return progress.is_object() && progress["processingState"] == "COMPLETE";
      },
      30s));
  EXPECT_EQ(progress["operationProgress"][0]["resultPayload"], "refused") << progress.dump(2);
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait().exit_status, 0);
}

}  // namespace
}  // namespace pop::e2e
