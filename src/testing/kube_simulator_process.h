// Test support: the Kubernetes API simulator (src/testing/kube_simulator/kube_simulator.py)
// as a child process on a free port, with a kubeconfig for it and its test-only control API
// (/simulator/...), stopped with SIGTERM (which removes every container it created) and
// reaped when the owner goes away. Header-only so it stays out of pop_core.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "http_client/client.h"
#include "util/result.h"
#include "util/temp_dir.h"

extern char** environ;

namespace pop::testing {

class KubeSimulatorProcess {
 public:
  struct Options {
    std::string script{};       // path of kube_simulator.py
    std::string docker_host{};  // unix:///path/docker.sock
    std::string token = "simulator-token";
    std::vector<std::string> extra_arguments{};  // --node-label k=v, --storm JSON, ...
    std::chrono::seconds startup_timeout{30};
  };

  // Starts the simulator and waits until it listens; kUnavailable with its output otherwise.
  static Result<std::unique_ptr<KubeSimulatorProcess>> start(Options options) {
    auto dir = TempDir::create("pop-kube-simulator-");
    if (!dir) return fail(dir.error());
    auto process = std::unique_ptr<KubeSimulatorProcess>(new KubeSimulatorProcess(std::move(*dir)));
    const auto& path = process->dir_.path();
    std::vector<std::string> argv = {"/usr/bin/python3", options.script,
                                     "--docker-host",    options.docker_host,
                                     "--listen",         "127.0.0.1:0",
                                     "--port-file",      (path / "port").string(),
                                     "--kubeconfig-out", (path / "kubeconfig").string(),
                                     "--state-dir",      (path / "state").string()};
    if (!options.token.empty()) {
      argv.push_back("--token");
      argv.push_back(options.token);
    }
    for (const auto& argument : options.extra_arguments) argv.push_back(argument);
    if (auto spawned = process->spawn(argv); !spawned) return fail(spawned.error());

    const auto deadline = std::chrono::steady_clock::now() + options.startup_timeout;
    while (!std::filesystem::exists(path / "kubeconfig")) {
      if (process->exited() || std::chrono::steady_clock::now() > deadline) {
        return fail(ErrorCode::kUnavailable,
                    "the Kubernetes simulator did not start: " + process->output());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::ifstream port_file(path / "port");
    int port = 0;
    port_file >> port;
    process->url_ = "http://127.0.0.1:" + std::to_string(port);
    auto control = http_client::Client::create({.base_url = process->url_, .proxy = ""});
    if (!control) return fail(control.error());
    process->control_.emplace(std::move(*control));
    return process;
  }

  KubeSimulatorProcess(const KubeSimulatorProcess&) = delete;
  KubeSimulatorProcess& operator=(const KubeSimulatorProcess&) = delete;

  ~KubeSimulatorProcess() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    // It removes its containers before exiting; give it time, then insist.
    for (int i = 0; i < 600 && !exited(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!exited()) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  const std::string& url() const { return url_; }
  std::filesystem::path kubeconfig() const { return dir_.path() / "kubeconfig"; }
  // What the simulator printed so far (its log), for failure messages.
  std::string output() const {
    std::ifstream in(dir_.path() / "output.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // A call to the control API; the parsed answer, or null when it failed (ADD_FAILURE is
  // the caller's).
  nlohmann::json control(const std::string& method, const std::string& path,
                         const nlohmann::json& body = nlohmann::json::object()) {
    auto response =
        control_->request(method, path, body.dump(), {{"Content-Type", "application/json"}});
    if (!response || !response->ok()) return nullptr;
    return nlohmann::json::parse(response->body, nullptr, false);
  }

 private:
  explicit KubeSimulatorProcess(TempDir dir) : dir_(std::move(dir)) {}

  Result<void> spawn(const std::vector<std::string>& argv) {
    std::vector<char*> arguments;
    for (const auto& argument : argv) arguments.push_back(const_cast<char*>(argument.c_str()));
    arguments.push_back(nullptr);
    const std::string log = (dir_.path() / "output.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    const int spawned =
        posix_spawn(&pid_, arguments[0], &actions, nullptr, arguments.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
      pid_ = -1;
      return fail(ErrorCode::kUnavailable, "cannot start " + argv[0] + " " + argv[1]);
    }
    return {};
  }

  // Reaps the child when it has exited.
  bool exited() {
    if (pid_ <= 0) return true;
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return true;
    }
    return false;
  }

  TempDir dir_;
  pid_t pid_ = -1;
  std::string url_;
  std::optional<http_client::Client> control_;
};

}  // namespace pop::testing
