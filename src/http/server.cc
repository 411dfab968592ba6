// The only translation unit that includes Boost.Beast and Asio (through connection.h):
// they are heavy to compile, and keeping them here keeps every other file fast to build.
#include "http/server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "http/body_budget.h"
#include "http/connection.h"
#include "http/connection_shedding.h"
#include "http/handler_pool.h"
#include "util/log_throttle.h"

namespace pop::http {

namespace net = detail::net;
namespace beast = detail::beast;
using detail::tcp;

namespace {

// Connections accepted in one go before the loop lets other work run.
constexpr int kAcceptBatch = 64;
// How often a failing accept is retried, and how often it is logged.
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
constexpr auto kAcceptLogInterval = std::chrono::seconds(10);

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

// The client address connections are counted by: an IPv4 address also when it arrives
// mapped into IPv6.
std::string address_key(const net::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

// Wraps a Handler as an Admitter that takes every request, with up to `max_body_bytes`.
Admitter admit_all(Handler handler) {
  return [handler = std::move(handler)](HttpRequest&) {
    Admission admission;
    admission.max_body_bytes = std::numeric_limits<std::size_t>::max();
    admission.handler = handler;
    return admission;
  };
}

}  // namespace

class Server::Impl final : public detail::ConnectionOwner {
 public:
  Impl(ServerOptions options, Admitter admitter)
      : options_(std::move(options)),
        admitter_(std::move(admitter)),
        body_budget_(options_.max_body_memory_bytes),
        accept_strand_(net::make_strand(ioc_)),
        acceptor_(accept_strand_),
        accept_retry_(accept_strand_) {}

  ~Impl() {
    stop();
    if (spare_fd_ >= 0) ::close(spare_fd_);
  }

  Result<void> start();
  void stop();
  std::uint16_t port() const { return port_.load(); }

  const ServerOptions& options() const override { return options_; }
  const Admitter& admitter() const override { return admitter_; }
  BodyBudget& body_budget() override { return body_budget_; }
  std::size_t body_memory_reserved() const { return body_budget_.reserved(); }
  const std::shared_ptr<detail::Lifeline>& lifeline() const override { return lifeline_; }
  bool stopping() const override { return stopping_.load(); }
  void log(std::string_view message) const override { options_.logger->error(message); }
  void remove(detail::ConnectionBase* connection) override {
    std::shared_ptr<detail::ConnectionBase> removed;  // destroyed after the lock is released
    std::lock_guard lock(mu_);
    auto it = connections_.find(connection);
    if (it == connections_.end()) return;
    removed = std::move(it->second.connection);
    if (auto count = per_address_.find(it->second.address);
        count != per_address_.end() && --count->second == 0) {
      per_address_.erase(count);
    }
    connections_.erase(it);
    if (connections_.empty()) drained_.notify_all();
  }
  bool run_handler(std::function<void()> task) override { return handlers_->post(std::move(task)); }

 private:
  struct Registered {
    std::shared_ptr<detail::ConnectionBase> connection;
    std::string address;  // address_key() of its client
  };

  Result<tcp::endpoint> resolve();
  Result<void> set_up_tls();
  Result<void> listen(const tcp::endpoint& endpoint);
  void accept_next();
  void on_acceptable(beast::error_code ec);
  // Accepts one pending connection; false when there is none or accepting failed.
  bool accept_one();
  // Out of descriptors with connections waiting: frees the spare descriptor to accept
  // one, sheds it, and takes the spare back, so that waiting clients hear 503 at once
  // rather than hang. False when no connection was waiting (or there is no spare).
  bool shed_one_without_descriptors();
  // Opens the spare descriptor when it is not open: opening it fails while the process is
  // out of descriptors, and is tried again each time accepting resumes.
  void keep_spare();
  void log_accept_failure(int error);
  void retry_accept_later();
  void take(int fd, const tcp::endpoint& peer);
  void run_loop();
  std::vector<std::shared_ptr<detail::ConnectionBase>> snapshot();
  // Waits until every connection is gone or `deadline`; true when all are gone.
  bool wait_drained(std::chrono::steady_clock::time_point deadline);

  const ServerOptions options_;
  const Admitter admitter_;
  BodyBudget body_budget_;
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

  // Kept open only to be closed when the process is out of descriptors (see
  // shed_one_without_descriptors); -1 while it cannot be opened (keep_spare). Used only on
  // accept_strand_ (and by start() before the loop runs).
  int spare_fd_ = -1;
  LogThrottle accept_log_{kAcceptLogInterval};  // used only on accept_strand_

  std::mutex mu_;
  std::condition_variable drained_;
  std::unordered_map<detail::ConnectionBase*, Registered> connections_;  // guarded by mu_
  std::unordered_map<std::string, std::size_t> per_address_;             // guarded by mu_
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
  if (!admitter_) return fail(ErrorCode::kInvalidArgument, "no handler");
  if (auto tls = set_up_tls(); !tls) return tls;
  auto endpoint = resolve();
  if (!endpoint) return fail(std::move(endpoint).error());

  if (auto listening = listen(*endpoint); !listening) return listening;
  keep_spare();

  handlers_.emplace(static_cast<std::size_t>(options_.handler_threads));
  work_.emplace(net::make_work_guard(ioc_));
  net::post(accept_strand_, [this] { accept_next(); });
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { run_loop(); });
  phase_ = Phase::kRunning;
  return {};
}

Result<void> Server::Impl::listen(const tcp::endpoint& endpoint) {
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  // Created here rather than by Asio, which opens sockets without SOCK_CLOEXEC: between its
  // socket() and a later fcntl(), a handler started by another thread would inherit it.
  const int fd = ::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                          IPPROTO_TCP);
  beast::error_code ec;
  if (fd < 0) {
    ec.assign(errno, beast::system_category());
  } else {
    acceptor_.assign(endpoint.protocol(), fd, ec);
    if (ec) ::close(fd);
  }
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    acceptor_.close(ignored);
    return fail(ErrorCode::kUnavailable, "cannot listen on " + where + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint(ec).port();
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

// Connections are accepted with accept4(SOCK_CLOEXEC) once the listening socket is
// readable: Asio's own accept would leave a window in which the new descriptor could leak
// into a handler started by another thread.
void Server::Impl::accept_next() {
  acceptor_.async_wait(tcp::acceptor::wait_read,
                       beast::bind_front_handler(&Impl::on_acceptable, this));
}

void Server::Impl::on_acceptable(beast::error_code ec) {
  if (stopping_ || !acceptor_.is_open()) return;
  if (ec) {
    log_accept_failure(ec.value());
    retry_accept_later();
    return;
  }
  keep_spare();
  for (int i = 0; i < kAcceptBatch; ++i) {
    if (!accept_one()) return;
  }
  accept_next();
}

bool Server::Impl::accept_one() {
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  const int fd = ::accept4(acceptor_.native_handle(), reinterpret_cast<sockaddr*>(&peer), &length,
                           SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd >= 0) {
    tcp::endpoint endpoint;
    std::memcpy(endpoint.data(), &peer, std::min<std::size_t>(length, endpoint.capacity()));
    endpoint.resize(std::min<std::size_t>(length, endpoint.capacity()));
    take(fd, endpoint);
    return true;
  }
  const int error = errno;
  switch (error) {
    case EAGAIN:
#if EAGAIN != EWOULDBLOCK
    case EWOULDBLOCK:
#endif
      accept_next();  // nothing pending: wait for the next
      return false;
    case EINTR:
    case ECONNABORTED:  // the client left before it was accepted
    case EPROTO:
      return true;
    case EMFILE:
    case ENFILE:
      log_accept_failure(error);
      if (shed_one_without_descriptors()) return true;
      retry_accept_later();
      return false;
    default:
      log_accept_failure(error);
      retry_accept_later();
      return false;
  }
}

bool Server::Impl::shed_one_without_descriptors() {
  if (spare_fd_ < 0) return false;
  ::close(std::exchange(spare_fd_, -1));
  const int fd =
      ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd >= 0) {
    detail::shed_connection(fd, !tls_, "the server is out of file descriptors; retry later");
  }
  keep_spare();  // fails if another thread took the descriptor; accepting tries again
  return fd >= 0;
}

void Server::Impl::keep_spare() {
  if (spare_fd_ < 0) spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void Server::Impl::log_accept_failure(int error) {
  // Under a descriptor shortage accept fails as often as it is retried: one line per
  // interval says so, with how many were left out.
  if (const auto left_out = accept_log_.admit(std::chrono::steady_clock::now())) {
    std::string line = std::string("accept failed: ") + std::strerror(error);
    if (*left_out > 0) line += " (" + std::to_string(*left_out) + " more since the last report)";
    log(line);
  }
}

void Server::Impl::retry_accept_later() {
  // A server never exits on a failed syscall: it retries once some connections have closed.
  accept_retry_.expires_after(kAcceptRetry);
  accept_retry_.async_wait([this](beast::error_code wait_error) {
    if (!wait_error && !stopping_) accept_next();
  });
}

void Server::Impl::take(int fd, const tcp::endpoint& peer) {
  const std::string address = address_key(peer.address());
  std::string refusal;
  {
    std::lock_guard lock(mu_);
    if (connections_.size() >= options_.max_connections) {
      refusal = "the server is at its connection limit (" +
                std::to_string(options_.max_connections) + "); retry later";
    } else if (const auto from = per_address_.find(address);
               options_.max_connections_per_address > 0 && from != per_address_.end() &&
               from->second >= options_.max_connections_per_address) {
      refusal = "too many connections from your address (the limit is " +
                std::to_string(options_.max_connections_per_address) +
                " per client address); retry later";
    }
  }
  if (!refusal.empty()) {
    detail::shed_connection(fd, !tls_, refusal);
    return;
  }
  beast::error_code ec;
  tcp::socket socket(net::make_strand(ioc_));
  socket.assign(peer.protocol(), fd, ec);
  if (ec) {
    ::close(fd);
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);  // responses are small; don't wait to fill
  std::shared_ptr<detail::ConnectionBase> connection;
  if (tls_) {
    using TlsStream = net::ssl::stream<tcp::socket>;
    connection = std::make_shared<detail::Connection<TlsStream>>(
        *this, TlsStream(std::move(socket), *tls_), endpoint_text(peer));
  } else {
    connection = std::make_shared<detail::Connection<tcp::socket>>(*this, std::move(socket),
                                                                   endpoint_text(peer));
  }
  {
    std::lock_guard lock(mu_);
    ++per_address_[address];
    connections_.emplace(connection.get(), Registered{connection, address});
  }
  connection->start();
}

std::vector<std::shared_ptr<detail::ConnectionBase>> Server::Impl::snapshot() {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<detail::ConnectionBase>> all;
  all.reserve(connections_.size());
  for (const auto& [key, registered] : connections_) all.push_back(registered.connection);
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
  std::unordered_map<detail::ConnectionBase*, Registered> rest;
  {
    std::lock_guard lock(mu_);
    rest.swap(connections_);
    per_address_.clear();
  }
}

Server::Server(ServerOptions options, Admitter admit)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(admit))) {}

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options),
                                   handler ? admit_all(std::move(handler)) : Admitter())) {}

Server::~Server() = default;

Result<void> Server::start() { return impl_->start(); }

std::uint16_t Server::port() const { return impl_->port(); }

std::size_t Server::body_memory_reserved() const { return impl_->body_memory_reserved(); }

void Server::stop() { impl_->stop(); }

}  // namespace pop::http
