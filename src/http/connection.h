// Private to server.cc (the only file that may include Boost.Beast): one client
// connection, over plain TCP or TLS, from the first byte to the close.
//
// All member functions run on the connection's strand, so its state needs no lock; other
// threads reach it only through start(), begin_stop(), force_close() and notify(), which
// post onto the strand. The one exception is the handler call, made on a handler thread
// (see invoke_handler), which touches no connection state. Every completion handler holds a
// shared_ptr to the connection, and the server's registry holds one until it is closed.
//
// Lifecycle: [handshake] -> idle -> reading -> [admitting -> reading] -> handling ->
// (idle ... | lingering) -> closed. Once a request's head is read, the owner's Admitter
// decides on it on a handler thread (admitting); only an admitted request's body is read,
// within its limit and the server's body budget. A request without a body is admitted and
// handled in one handler-thread call. While handling, once the handler call has returned
// without a complete answer, a read stays pending only to notice the client leaving
// (long-polls); at most one write is in flight.
#pragma once

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "http/body_budget.h"
#include "http/budgeted_body.h"
#include "http/correlation_id.h"
#include "http/error_response.h"
#include "http/exchange.h"
#include "http/query_string.h"
#include "http/request_head_rules.h"
#include "http/server.h"

namespace pop::http::detail {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// What the registry and the server's stop sequence see of a connection.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void start() = 0;
  // The server is stopping: close if idle, cancel the exchange if handling.
  virtual void begin_stop() = 0;
  virtual void force_close() = 0;
};

// The server as a connection sees it. Implementations are thread-safe.
class ConnectionOwner {
 public:
  virtual const ServerOptions& options() const = 0;
  virtual const Admitter& admitter() const = 0;
  virtual BodyBudget& body_budget() = 0;
  virtual const std::shared_ptr<Lifeline>& lifeline() const = 0;
  virtual bool stopping() const = 0;
  // Writes one log line; the owner escapes it (request data may be in it).
  virtual void log(std::string_view message) const = 0;
  // The connection closed; drops the registry's reference.
  virtual void remove(ConnectionBase* connection) = 0;
  // Runs `task` (an admission or a handler call) on a handler thread, not the event loop.
  // False when the task was dropped: the server is stopping, or no handler thread could be
  // started.
  virtual bool run_handler(std::function<void()> task) = 0;

 protected:
  ~ConnectionOwner() = default;
};

// RFC 9110 IMF-fixdate of the current second, computed once per second per thread.
inline const std::string& http_date_now() {
  thread_local std::time_t cached_second = -1;
  thread_local std::string text;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm parts{};
    gmtime_r(&now, &parts);
    std::array<char, 64> buffer{};
    const std::size_t n =
        std::strftime(buffer.data(), buffer.size(), "%a, %d %b %Y %H:%M:%S GMT", &parts);
    text.assign(buffer.data(), n);
    cached_second = now;
  }
  return text;
}

// True when `name` is an RFC 9110 token and `value` has no control characters that could
// split the header (CR, LF, NUL), so a handler cannot inject fields.
inline bool header_is_safe(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool token = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!token) return false;
  }
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Fields the server manages itself; handler values for them are dropped.
inline bool header_is_reserved(std::string_view name) {
  for (std::string_view reserved : {"content-length", "transfer-encoding", "connection",
                                    "keep-alive", "date", "x-correlation-id"}) {
    if (iequals(name, reserved)) return true;
  }
  return false;
}

template <class Stream>
class Connection final : public ConnectionBase,
                         public ExchangePort,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;

  Connection(ConnectionOwner& owner, Stream stream, std::string remote_address)
      : owner_(owner),
        options_(owner.options()),
        stream_(std::move(stream)),
        timer_(stream_.get_executor()),
        remote_address_(std::move(remote_address)) {}

  void start() override {
    post([this] {
      if constexpr (kTls) {
        state_ = State::kHandshake;
        set_deadline(options_.first_request_timeout);
        stream_.async_handshake(net::ssl::stream_base::server, bind(&Connection::on_handshake));
      } else {
        await_request(options_.first_request_timeout);
      }
    });
  }
  void begin_stop() override {
    post([this] { on_stopping(); });
  }
  void force_close() override {
    post([this] { close_now(); });
  }
  void notify() override {
    post([this] { pump(); });
  }

 private:
  enum class State { kHandshake, kIdle, kReading, kAdmitting, kHandling, kLingering, kClosed };
  // The read kept pending while a request is handled, to notice a client leaving.
  enum class Watch {
    kOff,
    kReading,
    // The exchange completed and cancelled the read; its completion then goes on to the
    // next request, or closes.
    kCancelledForNextRequest,
    kCancelledForClose,
  };
  // The framing of a streamed response and whether its end is known.
  enum class Streaming {
    kNone,        // no streamed response (yet)
    kChunked,     // HTTP/1.1: chunked encoding
    kUntilClose,  // HTTP/1.0: the body runs to the end of the connection
    kEnding,      // the end is known: once the last bytes are written, the exchange completes
  };
  using Clock = std::chrono::steady_clock;

  static constexpr std::size_t kReadSize = 8 * 1024;
  // An idle connection keeps no more read buffer than this: the buffer grows while a body
  // is read, and thousands of idle connections must not each keep that.
  static constexpr std::size_t kMaxIdleBufferBytes = 2 * kReadSize;
  // Bytes a client may send ahead while its request is being handled (pipelining).
  static constexpr std::size_t kMaxAheadBytes = 64 * 1024;
  // After a response that closes the connection: how long and how much unread input is
  // drained, so that closing with unread data does not reset the connection before the
  // client has read the response (RFC 9112 §9.6).
  static constexpr auto kLingerTime = std::chrono::seconds(2);
  static constexpr std::size_t kMaxLingerBytes = 1 << 20;
  // Drained in large reads: a client pushing a refused body costs few wake-ups.
  static constexpr std::size_t kLingerReadSize = 64 * 1024;

  tcp::socket& socket() { return beast::get_lowest_layer(stream_); }

  template <class Fn>
  void post(Fn fn) {
    net::post(stream_.get_executor(),
              [self = this->shared_from_this(), fn = std::move(fn)]() mutable { fn(); });
  }
  template <class Method>
  auto bind(Method method) {
    return beast::bind_front_handler(method, this->shared_from_this());
  }

  // --- Deadlines. One timer serves every phase: moving a deadline later only records it,
  // and the timer re-arms itself when it fires early, so keep-alive traffic costs no timer
  // system calls per request.

  void set_deadline(Clock::duration timeout) {
    deadline_ = Clock::now() + timeout;
    if (timer_armed_ && timer_.expiry() <= deadline_) return;
    arm_timer();
  }
  void clear_deadline() { deadline_ = Clock::time_point::max(); }
  void arm_timer() {
    timer_armed_ = true;
    timer_.expires_at(deadline_);
    timer_.async_wait(bind(&Connection::on_timer));
  }
  void on_timer(beast::error_code ec) {
    if (ec == net::error::operation_aborted || state_ == State::kClosed) return;
    timer_armed_ = false;
    if (deadline_ == Clock::time_point::max()) return;
    if (Clock::now() < deadline_) {
      arm_timer();
      return;
    }
    // Idle too long, request too slow, client not reading, or lingering over: no response
    // is owed that could still be delivered in time, so just close.
    close_now();
  }

  // --- Reading a request.

  void on_handshake(beast::error_code ec) {
    if (state_ == State::kClosed) return;
    if (ec) {
      close_now();
      return;
    }
    await_request(options_.first_request_timeout);
  }

  // `idle_timeout`: how long the client may take to begin the request, the first one's
  // timeout or the idle timeout of a kept-alive connection.
  void await_request(Clock::duration idle_timeout) {
    if (owner_.stopping()) {
      close_now();
      return;
    }
    state_ = State::kIdle;
    if (buffer_.size() > 0) {
      begin_request();
      return;
    }
    if (buffer_.capacity() > kMaxIdleBufferBytes) buffer_.shrink_to_fit();
    set_deadline(idle_timeout);
    // The first byte is awaited separately so that the idle timeout, not the request
    // timeout, applies until the client actually starts a request.
    stream_.async_read_some(buffer_.prepare(kReadSize), bind(&Connection::on_first_bytes));
  }

  void on_first_bytes(beast::error_code ec, std::size_t n) {
    if (state_ == State::kClosed) return;
    if (ec) {
      close_now();
      return;
    }
    buffer_.commit(n);
    begin_request();
  }

  void begin_request() {
    state_ = State::kReading;
    input_complete_ = false;
    correlation_id_.clear();
    request_started_ = std::chrono::steady_clock::now();
    request_method_.clear();
    request_path_.clear();
    route_.clear();
    set_deadline(options_.request_timeout);
    parser_.emplace();
    parser_->header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(options_.max_header_bytes, UINT32_MAX)));
    // The ceiling for every request; the admitted route's limit replaces it.
    body_limit_ = options_.max_body_bytes;
    parser_->body_limit(body_limit_);
    bhttp::async_read_header(stream_, buffer_, *parser_, bind(&Connection::on_header));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (state_ == State::kClosed) return;
    if (ec) {
      on_read_error(ec);
      return;
    }
    auto& message = parser_->get();
    request_started_ = std::chrono::steady_clock::now();
    request_method_ = std::string(message.method_string());
    request_path_ = std::string(message.target().substr(0, message.target().find('?')));
    correlation_id_ = correlation_id_for(message[kCorrelationIdHeader]);
    version_ = message.version();
    keep_alive_ = message.keep_alive();
    head_request_ = message.method() == bhttp::verb::head;

    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.version = version_;
    for (const auto& field : message) {
      request.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    request.remote_address = remote_address_;
    request.correlation_id = correlation_id_;
    request.logger = options_.logger;
    if (auto refused = check_request_head(version_, request.headers)) {
      respond_and_close(
          error_response(refused->status, refused->code, refused->message, {}, correlation_id_));
      return;
    }
    auto target = split_target(request);
    if (parser_->is_done()) {
      std::optional<HttpResponse> refusal;
      if (!target) refusal = error_response(target.error(), correlation_id_);
      admit_and_handle(std::move(request), std::move(refusal));
    } else if (!target) {
      respond_and_close(error_response(target.error(), correlation_id_));
    } else {
      admit_then_read(std::move(request));
    }
  }

  // --- Admission: deciding on a request from its head, on a handler thread (it may read
  // the store to authenticate), before any of its body is read.

  // On a handler thread. An exception from the admitter is a 500, as a handler's is.
  static Admission call_admitter(ConnectionOwner& owner, HttpRequest& head) {
    try {
      return owner.admitter()(head);
    } catch (const std::exception& e) {
      owner.log("admission of " + head.method + " " + head.path + " threw (correlation id " +
                head.correlation_id + "): " + e.what());
    } catch (...) {
      owner.log("admission of " + head.method + " " + head.path +
                " threw a non-standard exception (correlation id " + head.correlation_id + ")");
    }
    Admission failed;
    failed.refusal =
        error_response(Error{ErrorCode::kInternal, "internal error", {}}, head.correlation_id);
    return failed;
  }

  // A request with a body: admitted on a handler thread, then back here to read the body.
  void admit_then_read(HttpRequest head) {
    state_ = State::kAdmitting;
    auto run = [self = this->shared_from_this(), head = std::move(head)]() mutable {
      Admission admission = call_admitter(self->owner_, head);
      self->post([self, head = std::move(head), admission = std::move(admission)]() mutable {
        self->on_admitted(std::move(head), std::move(admission));
      });
    };
    if (!owner_.run_handler(std::move(run))) {
      respond_and_close(error_response(
          Error{
              ErrorCode::kUnavailable, "the server cannot take this request now; retry later", {}},
          correlation_id_));
    }
  }

  void on_admitted(HttpRequest head, Admission admission) {
    if (state_ != State::kAdmitting) return;  // closed meanwhile
    state_ = State::kReading;
    route_ = admission.route;
    if (admission.refusal) {
      respond_and_close(std::move(*admission.refusal));
      return;
    }
    body_limit_ = std::min(options_.max_body_bytes, admission.max_body_bytes);
    if (const auto declared = parser_->content_length(); declared && *declared > body_limit_) {
      respond_and_close(error_response(body_too_large(body_limit_), correlation_id_));
      return;
    }
    parser_->body_limit(body_limit_);
    request_ = std::move(head);
    route_handler_ = std::move(admission.handler);
    reservation_ = BodyReservation(owner_.body_budget());
    parser_->get().body().reservation = &reservation_;
    if (version_ >= 11 && iequals(parser_->get()[bhttp::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       bind(&Connection::on_continue_sent));
      return;
    }
    read_body();
  }

  void on_continue_sent(beast::error_code ec, std::size_t) {
    if (state_ == State::kClosed) return;
    if (ec) {
      close_now();
      return;
    }
    read_body();
  }

  void read_body() { bhttp::async_read(stream_, buffer_, *parser_, bind(&Connection::on_body)); }

  void on_body(beast::error_code ec, std::size_t) {
    if (state_ == State::kClosed) return;
    if (ec) {
      on_read_error(ec);
      return;
    }
    on_request();
  }

  void on_read_error(beast::error_code ec) {
    if (correlation_id_.empty()) correlation_id_ = generate_correlation_id();
    if (ec == bhttp::error::body_limit) {
      respond_and_close(error_response(body_too_large(body_limit_), correlation_id_));
    } else if (ec == BudgetedBody::out_of_budget()) {
      respond_and_close(
          overloaded_response("the server's memory for request bodies (" +
                                  std::to_string(owner_.body_budget().capacity()) +
                                  " bytes across all connections) is in use; retry later",
                              correlation_id_));
    } else if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      respond_and_close(error_response(431, error_code_name(ErrorCode::kTooLarge),
                                       "request header exceeds the limit of " +
                                           std::to_string(options_.max_header_bytes) + " bytes",
                                       {}, correlation_id_));
    } else if (&ec.category() == &bhttp::make_error_code(bhttp::error::bad_method).category() &&
               ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      respond_and_close(error_response(
          Error{ErrorCode::kInvalidArgument, "malformed HTTP request: " + ec.message(), {}},
          correlation_id_));
    } else {
      close_now();  // the client closed, reset, or was too slow: nobody to answer
    }
  }

  // --- Handling.

  // The body has been read: hands the request to its route's handler.
  void on_request() {
    auto message = parser_->release();
    parser_.reset();
    request_.body = std::move(message.body().text);
    begin_exchange();
    // Off the event loop: a handler waiting for a durable write must not stall the other
    // connections of its loop thread, and handlers that wait together share one commit.
    // The body's share of the budget is given back when the handler call returns.
    auto run = [self = this->shared_from_this(), exchange = exchange_,
                handler = std::move(route_handler_), request = std::move(request_),
                reservation =
                    std::make_shared<BodyReservation>(std::move(reservation_))]() mutable {
      invoke_handler(self->owner_, exchange, handler, std::move(request));
      reservation->release();
      self->post([self, exchange] { self->handler_returned(exchange); });
    };
    run_on_handler_thread(std::move(run));
  }

  // A request without a body: admitted and handled in one handler-thread call, unless
  // `refusal` already answers it.
  void admit_and_handle(HttpRequest head, std::optional<HttpResponse> refusal) {
    parser_.reset();
    begin_exchange();
    auto run = [self = this->shared_from_this(), exchange = exchange_, head = std::move(head),
                refusal = std::move(refusal)]() mutable {
      Admission admission;
      if (refusal) {
        admission.refusal = std::move(refusal);
      } else {
        admission = call_admitter(self->owner_, head);
      }
      exchange->set_route(std::move(admission.route));
      if (admission.refusal) {
        exchange->send(std::move(*admission.refusal));
      } else {
        invoke_handler(self->owner_, exchange, admission.handler, std::move(head));
      }
      self->post([self, exchange] { self->handler_returned(exchange); });
    };
    run_on_handler_thread(std::move(run));
  }

  void begin_exchange() {
    state_ = State::kHandling;
    input_complete_ = true;
    clear_deadline();
    exchange_ =
        std::make_shared<Exchange>(correlation_id_, owner_.lifeline(), this->weak_from_this(),
                                   options_.max_stream_buffer_bytes);
    exchange_->set_route(route_);
    // A request that arrives while stopping is cancelled from the start, so a long-poll
    // handler that registers on_cancel answers at once.
    if (owner_.stopping()) exchange_->cancel(CancelReason::kServerStopping);
    exchange_->enter_handler();
  }

  void run_on_handler_thread(std::function<void()> task) {
    if (!owner_.run_handler(std::move(task))) {
      const Error busy{
          ErrorCode::kUnavailable, "the server cannot take this request now; retry later", {}};
      exchange_->send(error_response(busy, correlation_id_));
      handler_returned(exchange_);
    }
  }

  // On the connection's strand once the handler call is over (it may have answered, or
  // kept its Responder to answer later).
  void handler_returned(const std::shared_ptr<Exchange>& exchange) {
    if (exchange != exchange_) return;  // the connection closed meanwhile
    if (exchange_->leave_handler()) pump();
    // Unless the answer is already complete (the common, synchronous case), keep reading
    // so that a client leaving a long-poll or a watch is noticed.
    if (state_ == State::kHandling && exchange_ && !response_ && streaming_ != Streaming::kEnding) {
      start_watch();
    }
  }

  // Fills path and query from the target; only origin-form targets ("/path?query") are
  // served.
  static Result<void> split_target(HttpRequest& request) {
    const std::string_view target = request.target;
    if (target.empty() || target.front() != '/') {
      return fail(ErrorCode::kInvalidArgument, "request target must be an absolute path");
    }
    const std::size_t question = target.find('?');
    request.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos) {
      auto query = parse_query(target.substr(question + 1));
      if (!query) return fail(std::move(query).error());
      request.query = std::move(*query);
    }
    return {};
  }

  // On a handler thread: touches only the owner and the exchange, both thread-safe.
  static void invoke_handler(ConnectionOwner& owner, const std::shared_ptr<Exchange>& exchange,
                             const Handler& handler, HttpRequest request) {
    const std::string what = request.method + " " + request.path;
    try {
      if (!handler) throw std::logic_error("the admitter admitted a request without a handler");
      handler(std::move(request), Responder(exchange));
      return;
    } catch (const std::exception& e) {
      owner.log("handler for " + what + " threw (correlation id " + exchange->correlation_id() +
                "): " + e.what());
    } catch (...) {
      owner.log("handler for " + what + " threw a non-standard exception (correlation id " +
                exchange->correlation_id() + ")");
    }
    exchange->fail();
  }

  // Collects what the handler produced and writes it; re-run after every write.
  void pump() {
    if (state_ != State::kHandling || !exchange_ || writing_) return;
    ExchangeOutput output = exchange_->take_output();
    if (output.abandoned) {
      owner_.log("handler dropped its Responder without answering (correlation id " +
                 correlation_id_ + ")");
    }
    if (output.abort) {
      close_now();
      return;
    }
    if (output.response) {
      write_response(std::move(*output.response));
      return;
    }
    std::string bytes;
    if (output.stream_head) bytes = stream_head(*output.stream_head);
    if (head_request_ && output.stream_head) {
      // A HEAD gets the head of the GET's stream and nothing after it (not even the last
      // chunk); the handler learns that its stream is not wanted.
      streaming_ = Streaming::kEnding;
      output.chunks.clear();
      output.stream_end = true;
      cancel_exchange(CancelReason::kClientGone);
    }
    std::size_t data_bytes = 0;
    for (const std::string& chunk : output.chunks) {
      data_bytes += chunk.size();
      if (streaming_ == Streaming::kChunked) {
        std::array<char, 24> size_line{};
        const int n = std::snprintf(size_line.data(), size_line.size(), "%zx\r\n", chunk.size());
        bytes.append(size_line.data(), static_cast<std::size_t>(n));
        bytes += chunk;
        bytes += "\r\n";
      } else {
        bytes += chunk;
      }
    }
    if (output.stream_end) {
      if (streaming_ == Streaming::kChunked) bytes += "0\r\n\r\n";
      streaming_ = Streaming::kEnding;
    }
    if (bytes.empty()) {
      if (streaming_ == Streaming::kEnding) complete_exchange();
      return;
    }
    writing_ = true;
    stream_bytes_ = std::move(bytes);
    set_deadline(options_.write_timeout);
    net::async_write(
        stream_, net::buffer(stream_bytes_),
        [self = this->shared_from_this(), data_bytes](beast::error_code ec, std::size_t) {
          self->on_stream_written(ec, data_bytes);
        });
  }

  // The status line and header of a streamed response. HTTP/1.0 has no chunked encoding:
  // there the body runs to the end of the connection.
  std::string stream_head(const HttpResponse& head) {
    bhttp::response<bhttp::empty_body> message;
    message.version(version_);
    message.result(valid_status(head.status));
    observe_response(valid_status(head.status));
    copy_headers(head.headers, message);
    const bool chunked = version_ >= 11;
    streaming_ = chunked ? Streaming::kChunked : Streaming::kUntilClose;
    keep_after_write_ = chunked && keep_alive_ && !owner_.stopping();
    message.keep_alive(keep_after_write_);
    if (chunked) message.chunked(true);
    std::ostringstream text;
    text << message.base();
    return std::move(text).str();
  }

  void on_stream_written(beast::error_code ec, std::size_t data_bytes) {
    writing_ = false;
    if (exchange_) exchange_->release(data_bytes);
    if (state_ == State::kClosed) return;
    if (ec) {
      close_now();
      return;
    }
    clear_deadline();
    if (streaming_ == Streaming::kEnding) {
      complete_exchange();
      return;
    }
    pump();
  }

  unsigned valid_status(int status) {
    if (status >= 200 && status <= 599) return static_cast<unsigned>(status);
    owner_.log("handler answered with invalid status " + std::to_string(status) +
               "; sent 500 (correlation id " + correlation_id_ + ")");
    return 500;
  }

  template <class Message>
  void copy_headers(const Headers& headers, Message& message) {
    for (const auto& [name, value] : headers.fields()) {
      if (header_is_reserved(name)) continue;
      if (!header_is_safe(name, value)) {
        owner_.log("dropped unsafe response header " + name + " (correlation id " +
                   correlation_id_ + ")");
        continue;
      }
      message.insert(name, value);
    }
    message.set(bhttp::field::date, http_date_now());
    message.set(kCorrelationIdHeader, correlation_id_);
  }

  void write_response(HttpResponse response) {
    response_.emplace();
    auto& message = *response_;
    message.version(version_);
    const unsigned status = valid_status(response.status);
    if (status != static_cast<unsigned>(response.status)) {
      response = error_response(Error{ErrorCode::kInternal, "internal error", {}}, correlation_id_);
    }
    message.result(status);
    observe_response(status);
    copy_headers(response.headers, message);
    const auto connection = response.headers.get("Connection");
    const bool handler_closes = connection && iequals(*connection, "close");
    keep_after_write_ = keep_alive_ && !handler_closes && !owner_.stopping();
    message.keep_alive(keep_after_write_);
    if (status == 204 || status == 304) {
      // No body and no Content-Length allowed.
    } else if (head_request_) {
      message.content_length(response.body.size());
    } else {
      message.body() = std::move(response.body);
      message.prepare_payload();
    }
    writing_ = true;
    set_deadline(options_.write_timeout);
    bhttp::async_write(stream_, message, bind(&Connection::on_response_written));
  }

  void on_response_written(beast::error_code ec, std::size_t) {
    writing_ = false;
    response_.reset();
    if (state_ == State::kClosed) return;
    if (ec) {
      close_now();
      return;
    }
    clear_deadline();
    complete_exchange();
  }

  // Tells ServerOptions::on_response what was answered, as its head goes out.
  void observe_response(unsigned status) {
    if (!options_.on_response) return;
    ResponseRecord record;
    record.method = request_method_;
    record.route = exchange_ ? exchange_->route() : route_;
    record.path = request_path_;
    record.remote_address = remote_address_;
    record.correlation_id = correlation_id_;
    record.status = static_cast<int>(status);
    record.duration = std::chrono::steady_clock::now() - request_started_;
    options_.on_response(record);
  }

  // Answers a request that could not be read or is refused, then closes. A body not read
  // yet is never read (only drained briefly while lingering).
  void respond_and_close(HttpResponse response) {
    state_ = State::kHandling;
    keep_alive_ = false;
    head_request_ = false;
    if (parser_ && parser_->got_some()) version_ = parser_->get().version();
    input_complete_ = parser_ && parser_->is_done();
    parser_.reset();
    route_handler_ = nullptr;
    reservation_.release();
    write_response(std::move(response));
  }

  void complete_exchange() {
    if (exchange_) exchange_->finish();
    exchange_.reset();
    streaming_ = Streaming::kNone;
    const bool keep = keep_after_write_ && !owner_.stopping();
    state_ = keep ? State::kIdle : State::kLingering;
    if (watch_ != Watch::kOff) {
      // Take the read back before anything else reads; its completion continues.
      watch_ = keep ? Watch::kCancelledForNextRequest : Watch::kCancelledForClose;
      beast::error_code ignored;
      socket().cancel(ignored);
      return;
    }
    if (keep) {
      await_request(options_.idle_timeout);
    } else {
      close_gracefully();
    }
  }

  // --- Noticing that a client waiting for a slow answer has gone away.

  void start_watch() {
    if (buffer_.size() >= kMaxAheadBytes) return;
    watch_ = Watch::kReading;
    stream_.async_read_some(buffer_.prepare(kReadSize), bind(&Connection::on_watch));
  }

  void on_watch(beast::error_code ec, std::size_t n) {
    const Watch was = std::exchange(watch_, Watch::kOff);
    if (state_ == State::kClosed) return;
    if (!ec) buffer_.commit(n);
    if (was != Watch::kReading) {
      if (ec && ec != net::error::operation_aborted) {
        close_now();
      } else if (was == Watch::kCancelledForNextRequest) {
        await_request(options_.idle_timeout);
      } else {
        close_gracefully();
      }
      return;
    }
    if (ec) {
      // End of stream or reset. A half-close could in theory still want the answer, but
      // HTTP clients close only when they give up; holding the socket for a handler that
      // may never answer would let departed clients pin connections.
      close_now();
      return;
    }
    start_watch();
  }

  void cancel_exchange(CancelReason reason) {
    if (exchange_ && !exchange_->cancel(reason)) {
      owner_.log("on_cancel callback threw (correlation id " + correlation_id_ + ")");
    }
  }

  // --- Stopping and closing.

  void on_stopping() {
    switch (state_) {
      case State::kHandshake:
      case State::kIdle:
        close_now();
        break;
      case State::kHandling:
        cancel_exchange(CancelReason::kServerStopping);
        break;
      case State::kReading:  // finishes, is answered, then closes (keep-alive is off)
      case State::kAdmitting:
      case State::kLingering:
      case State::kClosed:
        break;
    }
  }

  // Closes after a response. Input the server never read (a refused body, bytes sent
  // ahead) is drained for a while first: closing a socket with unread data resets the
  // connection, and the reset can destroy the response before the client has read it.
  // (Over TLS no close_notify is sent: every response has a length or chunked framing.)
  void close_gracefully() {
    if (input_complete_ && buffer_.size() == 0) {
      close_now();
      return;
    }
    state_ = State::kLingering;
    set_deadline(kLingerTime);
    beast::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_send, ignored);
    linger();
  }

  void linger() {
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(kLingerReadSize),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->lingered_bytes_ += n;
                              if (self->state_ == State::kClosed) return;
                              if (ec || self->lingered_bytes_ > kMaxLingerBytes) {
                                self->close_now();
                              } else {
                                self->linger();
                              }
                            });
  }

  void close_now() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    beast::error_code ignored;
    socket().close(ignored);
    timer_.cancel();
    if (exchange_) {
      const auto reason =
          owner_.stopping() ? CancelReason::kServerStopping : CancelReason::kClientGone;
      if (!exchange_->close(reason)) {
        owner_.log("on_cancel callback threw (correlation id " + correlation_id_ + ")");
      }
      exchange_.reset();
    }
    // The parser is not destroyed here: a read that already received data may be queued on
    // the strand behind this close and still parses into it (Beast's read operation holds a
    // reference). It goes with the connection, once the last completion has run.
    reservation_.release();
    owner_.remove(this);
  }

  ConnectionOwner& owner_;
  const ServerOptions& options_;
  Stream stream_;
  net::steady_timer timer_;
  const std::string remote_address_;

  State state_ = State::kIdle;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timer_armed_ = false;

  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<BudgetedBody>> parser_;
  std::size_t body_limit_ = 0;  // of the request being read
  // The admitted request while its body is read: its head, route and budget share.
  HttpRequest request_;
  Handler route_handler_;
  BodyReservation reservation_;
  std::string correlation_id_;
  // The request being answered, for ServerOptions::on_response: when its head was read, its
  // method, path and the route that took it (when a handler thread decided, its exchange has
  // it).
  std::chrono::steady_clock::time_point request_started_;
  std::string request_method_;
  std::string request_path_;
  std::string route_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool head_request_ = false;

  std::shared_ptr<Exchange> exchange_;
  std::optional<bhttp::response<bhttp::string_body>> response_;  // being written
  std::string stream_bytes_;                                     // being written
  bool writing_ = false;                                         // a write is in flight
  Streaming streaming_ = Streaming::kNone;
  bool keep_after_write_ = false;
  Watch watch_ = Watch::kOff;
  bool input_complete_ = false;  // the current request was read to its end
  std::size_t lingered_bytes_ = 0;
};

}  // namespace pop::http::detail
