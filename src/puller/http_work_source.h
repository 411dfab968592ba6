// The WorkSource of a standalone puller: the server's API over outbound HTTP(S) only, so a
// processing site behind a firewall needs no inbound port.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "http_client/client.h"
#include "puller/work_source.h"
#include "util/clock.h"

namespace pop::puller {

class HttpWorkSource final : public WorkSource {
 public:
  // Two connections: one for the long poll, one (shared under a lock) for reports and reads
  // of what handlers reported, so a report never waits behind a poll. kInvalidArgument for a bad
  // URL or CA file. `clock` (borrowed) times the pause below.
  static Result<std::unique_ptr<HttpWorkSource>> create(const http_client::ClientOptions& options,
                                                        std::string resource_pool_id,
                                                        std::string puller_id,
                                                        const Clock& clock = system_clock());

  // An empty answer that comes long before `wait` (the server holds no more waiting polls,
  // or is stopping) is returned after a pause of a second, so that a puller does not ask
  // again in a tight loop; wake() ends the pause.
  //
  // Replicas: a replica that does not keep the pool's queues redirects the pull (307) to the
  // one that does; the pulls then go there directly until it fails to answer one with a 2xx
  // (it died, or gave the pool up), and then to the configured server again. A redirect from
  // https to http is refused. Reports always go to the configured server: any replica takes
  // them.
  Result<PullAnswer> pull(std::size_t max, std::chrono::milliseconds wait,
                          const std::optional<Resources>& available,
                          const std::set<std::string>& skip_insight_ids) override;
  Result<void> report(const std::string& agenda_id, std::uint64_t epoch,
                      const std::string& lease_key, const Json& progress) override;
  Result<void> complete(const std::string& agenda_id, std::uint64_t epoch,
                        const std::string& lease_key, const Json& progress) override;
  Result<ReportedProgress> reported_progress(const std::string& agenda_id, std::uint64_t epoch,
                                             std::uint64_t after) override;
  Result<std::optional<Json>> reported_output(const std::string& agenda_id, std::uint64_t epoch,
                                              const std::string& operation, int attempt) override;
  Result<LogChunkAnswer> append_log(const std::string& agenda_id, std::uint64_t epoch,
                                    const std::string& lease_key, const LogChunk& chunk) override;
  void wake() override;

 private:
  HttpWorkSource(const http_client::ClientOptions& options, http_client::Client poll,
                 http_client::Client reports, std::string resource_pool_id, std::string puller_id,
                 const Clock& clock);
  // Sends the pull to the pool's owner when one is known, else to the configured server,
  // following one redirect to the owner.
  Result<http_client::Response> send_pull(const http_client::Request& request);
  // On the reports connection, which is shared under a lock; with the lease's key when one
  // is given.
  Result<Json> send_report(const std::string& method, const std::string& target,
                           const std::optional<Json>& body, const std::string& lease_key = "");
  static std::string lease_target(const std::string& agenda_id, std::uint64_t epoch);
  // Sleeps for `period`, or until wake().
  void pause(std::chrono::steady_clock::duration period);

  // How long a pull answered empty long before its wait waits before it returns.
  static constexpr std::chrono::seconds kEarlyAnswerPause{1};

  const http_client::ClientOptions options_;
  http_client::Client poll_;
  std::mutex owner_mutex_;  // guards owner_poll_'s replacement (wake() cancels it)
  std::optional<http_client::Client> owner_poll_;  // to the replica that owns the pool
  std::mutex reports_mutex_;
  http_client::Client reports_;
  std::string resource_pool_id_;
  std::string puller_id_;
  const Clock& clock_;
  std::mutex wake_mutex_;
  std::condition_variable woken_changed_;
  bool woken_ = false;  // GUARDED_BY(wake_mutex_); wake() was called: no more pauses
};

}  // namespace pop::puller
