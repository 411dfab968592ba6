// `pop puller --metrics-listen`: a standalone puller serves its own metrics, as the server
// does, and counts the operations it runs.
#include "cli/standalone_metrics.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "testing/api_client.h"
#include "testing/pop_server.h"
#include "testing/promtool.h"
#include "testing/subprocess.h"
#include "util/temp_dir.h"

namespace pop::cli {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(StandaloneMetrics, APullerServesItsMetricsOnAPortOfItsOwn) {
  auto dir = TempDir::create("pop-puller-metrics-");
  ASSERT_TRUE(dir.has_value());
  testing::PopServer server((dir->path() / "data").string(), dir->path().string(),
                            {"--no-embedded-puller"});
  testing::Subprocess puller(
      {POP_BINARY, "puller", "--server", server.base_url(), "--token", server.admin_token(),
       "--capacity", "3", "--metrics-listen", "127.0.0.1:0"},
      {}, dir->path().string());
  const std::regex serving(
      R"(serving metrics without a credential on (http://127\.0\.0\.1:[0-9]+))");
  std::string out;
  std::smatch match;
  ASSERT_TRUE(testing::eventually([&] {
    out = puller.stdout_so_far();
    return std::regex_search(out, match, serving);
  })) << out
      << puller.stderr_so_far();
  auto scraper = testing::api_client(match[1].str(), "");

  auto api = testing::api_client(server.base_url(), server.admin_token());
  auto submitted =
      api.request("POST", "/v1/agendas", R"({"operations": [{"name": "a", "type": "noop"}]})", {});
  ASSERT_TRUE(submitted && submitted->status == 201) << (submitted ? submitted->body : "");
  std::string text;
  EXPECT_TRUE(testing::eventually([&] {
    auto scraped = scraper.request("GET", "/metrics", "", {});
    text = scraped ? scraped->body : "";
    return has_line(
        text, R"(pop_operation_attempts_total{outcome="succeeded",runner="local",type="noop"} 1)");
  })) << text
      << puller.stderr_so_far();
  EXPECT_TRUE(has_line(text, R"(pop_puller_capacity{runner="local"} 3)")) << text;
  EXPECT_NE(text.find("\nprocess_threads "), std::string::npos) << text;
  auto checked = testing::promtool_check_metrics(text, dir->path().string());
  EXPECT_EQ(checked.exit_status, 0) << checked.out << checked.err << "\n" << text;

  puller.signal(SIGTERM);
  EXPECT_EQ(puller.wait().exit_status, 0) << puller.stderr_so_far();
}

}  // namespace
}  // namespace pop::cli
