// A client of the Docker Engine API (v1.41, which podman's Docker-compatible service also
// speaks) over the engine's Unix socket: the calls the container runner and its tests need.
//
// Each DockerEngine holds one connection and is used by one thread at a time, like the
// http_client::Client beneath it; threads create their own (cheap: a Unix socket connect).
// canceller() lets another thread end a blocking call such as wait().
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "docker/engine_answers.h"
#include "http_client/cancellation.h"
#include "http_client/client.h"
#include "util/call_counts.h"
#include "util/result.h"

namespace pop::docker {

using Json = nlohmann::json;

class DockerEngine {
 public:
  // `host` is "unix:///path/to/docker.sock" (the form of DOCKER_HOST), or a bare socket
  // path. kInvalidArgument for anything else (tcp:// engines are not supported: the
  // runner bind-mounts per-operation directories, so the engine must share this host).
  // `counts` (borrowed, optional) counts every call by operation ("create", "start", "wait",
  // "logs", ...) and status.
  static Result<DockerEngine> connect(std::string_view host, CallCounts* counts = nullptr);

  // The default engine address: $DOCKER_HOST, else unix:///var/run/docker.sock.
  static std::string default_host();

  // kUnavailable naming the socket when the engine does not answer.
  Result<void> ping();

  // Creates a container from the Engine API's create body; returns its id. A missing image
  // is kNotFound with the engine's message ("No such image: NAME").
  Result<std::string> create_container(const std::string& name, const Json& config);
  Result<void> start_container(const std::string& id);
  // Blocks until the container is not running; its exit status.
  Result<ContainerExit> wait_container(const std::string& id);
  Result<Json> inspect_container(const std::string& id);
  // Sends `signal` ("SIGTERM", "SIGKILL") to the container's main process. A container
  // that is not running is not an error.
  Result<void> kill_container(const std::string& id, std::string_view signal);
  // Kills (when running) and removes the container and its anonymous volumes. A container
  // that is already gone is not an error.
  Result<void> remove_container(const std::string& id);
  // How much of a container's log a read returns.
  enum class LogRead {
    kFollow,    // the answer stays open while the container runs
    kUntilNow,  // what the engine has now, also while the container runs
  };
  // The container's stdout and stderr from its start, in the engine's order, handed to
  // `on_data` as they are read (demultiplexed: the engine frames each write with an 8-byte
  // header when there is no TTY). Followed, the answer stays open while the container runs and
  // ends once it has stopped or is removed; on a container that already stopped it ends after
  // the whole log. canceller() ends it sooner (kUnavailable); a broken connection is
  // kUnavailable too.
  Result<void> read_logs(const std::string& id, LogRead how,
                         const std::function<void(std::string_view)>& on_data);
  // Ids of the containers carrying every label of `labels` ("key=value"): all of them, or
  // with `statuses` only those in one of these states ("created", "running", "exited", ...).
  Result<std::vector<std::string>> list_containers(const std::vector<std::string>& labels,
                                                   const std::vector<std::string>& statuses = {});

  // Pulls the image from its registry; the error carries the engine's reason.
  Result<void> pull_image(const std::string& image);

  http_client::Canceller canceller() const { return client_.canceller(); }
  const std::string& socket_path() const { return socket_path_; }

 private:
  DockerEngine(http_client::Client client, std::string socket_path, CallCounts* counts)
      : client_(std::move(client)), socket_path_(std::move(socket_path)), counts_(counts) {}

  Result<http_client::Response> call(std::string_view operation, std::string method,
                                     std::string target,
                                     const std::optional<Json>& body = std::nullopt,
                                     std::optional<std::chrono::milliseconds> timeout = {});

  http_client::Client client_;
  std::string socket_path_;
  CallCounts* counts_;
};

}  // namespace pop::docker
