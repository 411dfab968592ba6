// The only translation unit that includes Boost.Beast and Asio (through connection.h):
// they are heavy to compile, and keeping them here keeps every other file fast to build.
#include "http/server.h"

#include <atomic>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/connection.h"
#include "http/handler_pool.h"

namespace pop::http {

namespace net = detail::net;
namespace beast = detail::beast;
using detail::tcp;

namespace {

// Connections accepted beyond max_connections only to be told 503; past this many more,
// new ones are closed at once, so a flood cannot grow memory without bound.
constexpr std::size_t kRejectSlack = 64;

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

}  // namespace

class Server::Impl final : public detail::ConnectionOwner {
 public:
  Impl(ServerOptions options, Handler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        accept_strand_(net::make_strand(ioc_)),
        acceptor_(accept_strand_),
        accept_retry_(accept_strand_) {}

  ~Impl() { stop(); }

  Result<void> start();
  void stop();
  std::uint16_t port() const { return port_.load(); }

  const ServerOptions& options() const override { return options_; }
  const Handler& handler() const override { return handler_; }
  const std::shared_ptr<detail::Lifeline>& lifeline() const override { return lifeline_; }
  bool stopping() const override { return stopping_.load(); }
  void log(std::string_view message) const override {
    if (options_.log) {
      options_.log(message);
    } else {
      std::cerr << "pop http: " << message << '\n';
    }
  }
  void remove(detail::ConnectionBase* connection) override {
    std::shared_ptr<detail::ConnectionBase> removed;  // destroyed after the lock is released
    std::lock_guard lock(mu_);
    auto it = connections_.find(connection);
    if (it == connections_.end()) return;
    removed = std::move(it->second);
    connections_.erase(it);
    if (connections_.empty()) drained_.notify_all();
  }
  bool run_handler(std::function<void()> task) override { return handlers_->post(std::move(task)); }

 private:
  Result<tcp::endpoint> resolve();
  Result<void> set_up_tls();
  void accept_next();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void run_loop();
  std::vector<std::shared_ptr<detail::ConnectionBase>> snapshot();
  // Waits until every connection is gone or `deadline`; true when all are gone.
  bool wait_drained(std::chrono::steady_clock::time_point deadline);

  const ServerOptions options_;
  const Handler handler_;
  const std::shared_ptr<detail::Lifeline> lifeline_ = std::make_shared<detail::Lifeline>();
  // Declared before the event loop so TLS state outlives every connection using it.
  std::optional<net::ssl::context> tls_;
  net::io_context ioc_;
  net::strand<net::io_context::executor_type> accept_strand_;
  tcp::acceptor acceptor_;  // used only on accept_strand_
  net::steady_timer accept_retry_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::optional<detail::HandlerPool> handlers_;  // from start(), which checks its size
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint16_t> port_{0};

  std::mutex lifecycle_mu_;  // serialises start() and stop()
  enum class Phase { kNew, kRunning, kStopped } phase_ = Phase::kNew;

  std::mutex mu_;
  std::condition_variable drained_;
  std::unordered_map<detail::ConnectionBase*, std::shared_ptr<detail::ConnectionBase>>
      connections_;  // guarded by mu_
};

Result<tcp::endpoint> Server::Impl::resolve() {
  beast::error_code ec;
  const auto address = net::ip::make_address(options_.host, ec);
  if (!ec) return tcp::endpoint(address, options_.port);
  tcp::resolver resolver(ioc_);
  const auto results =
      resolver.resolve(options_.host, std::to_string(options_.port), tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "cannot resolve listen host " + options_.host + ": " + ec.message());
  }
  return results.begin()->endpoint();
}

Result<void> Server::Impl::set_up_tls() {
  if (!options_.tls) return {};
  tls_.emplace(net::ssl::context::tls_server);
  tls_->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                    net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                    net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
  beast::error_code ec;
  tls_->use_certificate_chain_file(options_.tls->certificate_chain_file, ec);
  if (ec) {
    return fail(ErrorCode::kInvalidArgument,
                "TLS certificate " + options_.tls->certificate_chain_file + ": " + ec.message());
  }
  tls_->use_private_key_file(options_.tls->private_key_file, net::ssl::context::pem, ec);
  if (ec) {
    return fail(ErrorCode::kInvalidArgument,
                "TLS private key " + options_.tls->private_key_file + ": " + ec.message());
  }
  return {};
}

Result<void> Server::Impl::start() {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (phase_ != Phase::kNew) return fail(ErrorCode::kConflict, "server already started");
  if (options_.threads < 1) return fail(ErrorCode::kInvalidArgument, "threads must be >= 1");
  if (options_.handler_threads < 1)
    return fail(ErrorCode::kInvalidArgument, "handler_threads must be >= 1");
  if (!handler_) return fail(ErrorCode::kInvalidArgument, "no handler");
  if (auto tls = set_up_tls(); !tls) return tls;
  auto endpoint = resolve();
  if (!endpoint) return tl::unexpected(endpoint.error());

  beast::error_code ec;
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  acceptor_.open(endpoint->protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(*endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    acceptor_.close(ignored);
    return fail(ErrorCode::kUnavailable, "cannot listen on " + where + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint(ec).port();

  handlers_.emplace(static_cast<std::size_t>(options_.handler_threads));
  work_.emplace(net::make_work_guard(ioc_));
  net::post(accept_strand_, [this] { accept_next(); });
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { run_loop(); });
  phase_ = Phase::kRunning;
  return {};
}

void Server::Impl::run_loop() {
  // A handler that throws out of the event loop must not end the server: log, resume.
  while (true) {
    try {
      ioc_.run();
      return;
    } catch (const std::exception& e) {
      log(std::string("event loop: unexpected exception: ") + e.what());
    } catch (...) {
      log("event loop: unexpected non-standard exception");
    }
  }
}

void Server::Impl::accept_next() {
  acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&Impl::on_accept, this));
}

void Server::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (stopping_ || !acceptor_.is_open()) return;
  if (ec) {
    // Typically out of file descriptors: a server never exits on a failed syscall, it
    // retries once some connections have closed.
    log("accept failed: " + ec.message());
    accept_retry_.expires_after(std::chrono::milliseconds(100));
    accept_retry_.async_wait([this](beast::error_code wait_error) {
      if (!wait_error && !stopping_) accept_next();
    });
    return;
  }
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);  // responses are small; don't wait to fill
  std::string remote = endpoint_text(socket.remote_endpoint(ignored));

  bool reject = false;
  {
    std::lock_guard lock(mu_);
    reject = connections_.size() >= options_.max_connections;
    if (connections_.size() >= options_.max_connections + kRejectSlack) {
      socket.close(ignored);
      accept_next();
      return;
    }
  }
  std::shared_ptr<detail::ConnectionBase> connection;
  if (tls_) {
    using TlsStream = net::ssl::stream<tcp::socket>;
    connection = std::make_shared<detail::Connection<TlsStream>>(
        *this, TlsStream(std::move(socket), *tls_), std::move(remote), reject);
  } else {
    connection = std::make_shared<detail::Connection<tcp::socket>>(*this, std::move(socket),
                                                                   std::move(remote), reject);
  }
  {
    std::lock_guard lock(mu_);
    connections_.emplace(connection.get(), connection);
  }
  connection->start();
  accept_next();
}

std::vector<std::shared_ptr<detail::ConnectionBase>> Server::Impl::snapshot() {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<detail::ConnectionBase>> all;
  all.reserve(connections_.size());
  for (const auto& [key, connection] : connections_) all.push_back(connection);
  return all;
}

bool Server::Impl::wait_drained(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return drained_.wait_until(lock, deadline, [this] { return connections_.empty(); });
}

void Server::Impl::stop() {
  std::lock_guard lifecycle(lifecycle_mu_);
  const bool was_running = phase_ == Phase::kRunning;
  phase_ = Phase::kStopped;
  if (!was_running) return;

  stopping_ = true;
  net::post(accept_strand_, [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
  });
  for (const auto& connection : snapshot()) connection->begin_stop();
  const auto now = std::chrono::steady_clock::now();
  if (!wait_drained(now + options_.stop_grace)) {
    for (const auto& connection : snapshot()) connection->force_close();
    // Closing is immediate on each strand; this bound only guards against a wedged loop.
    wait_drained(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  }
  // Handler calls still running (their clients were cut off above) must return before
  // stop() does: they use objects that the server's owner destroys next.
  handlers_->stop();
  work_.reset();
  ioc_.stop();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  // The close posted above may not have run before the loop stopped.
  beast::error_code ignored;
  acceptor_.close(ignored);
  // From here on, responders held by handlers no longer reach the event loop, which is
  // about to be destroyed with the server.
  lifeline_->kill();
  std::unordered_map<detail::ConnectionBase*, std::shared_ptr<detail::ConnectionBase>> rest;
  {
    std::lock_guard lock(mu_);
    rest.swap(connections_);
  }
}

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() = default;

Result<void> Server::start() { return impl_->start(); }

std::uint16_t Server::port() const { return impl_->port(); }

void Server::stop() { impl_->stop(); }

}  // namespace pop::http
